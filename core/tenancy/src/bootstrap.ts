import { DataSource } from 'typeorm';
import { AuditWriter, Clock, OutboxWriter, SYSTEM_ACTOR, Tx, uuidv7, WerkbankConfig } from '@werkbank/kernel';
import { generatePassword, hashPassword } from './domain/secrets';
import { TenantRepository, UserRepository } from './infrastructure/persistence/tenancy.repositories';

export interface BootstrapResult {
  operatorTenantId: string;
  adminEmail: string;
  /** set only when the admin was created now with a generated password: print it once */
  generatedPassword?: string;
  adminCreated: boolean;
}

/**
 * Ensures the operator root tenant and the first operator admin exist. Idempotent: a
 * second start finds both and changes nothing (an existing password is never overwritten).
 */
export async function bootstrapOperator(dataSource: DataSource, config: WerkbankConfig, clock: Clock): Promise<BootstrapResult> {
  const tenants = new TenantRepository();
  const users = new UserRepository();
  const audit = new AuditWriter(clock);
  const outbox = new OutboxWriter(clock);
  return dataSource.transaction(async (manager) => {
    const tx = manager as unknown as Tx;
    await manager.query(`SELECT pg_advisory_xact_lock(7261001)`);
    const now = clock.now();
    let operator = await tenants.findOperator(tx);
    if (!operator) {
      const id = uuidv7(now.getTime());
      operator = {
        id, parentId: null, path: `/${id}/`, kind: 'operator', name: config.operatorName, legalName: config.operatorName,
        country: 'DE', currency: 'EUR', billingEmail: config.adminEmail, address: null, vatId: null, buyerReference: null,
        timeZone: 'Europe/Berlin', status: 'active', suspendedAt: null, suspensionReason: null, closedAt: null, createdAt: now, updatedAt: now,
      };
      await tenants.insert(tx, operator);
      await outbox.append(tx, { type: 'tenancy.tenant_created', tenantId: id, payload: { tenantId: id, parentId: null, kind: 'operator' } });
      await audit.record(tx, { actor: SYSTEM_ACTOR, action: 'tenant.created', tenantId: id, targetType: 'tenant', targetId: id, data: { kind: 'operator' } });
    }
    let admin = await users.findByEmail(tx, config.adminEmail);
    let generatedPassword: string | undefined;
    let adminCreated = false;
    if (!admin) {
      const password = config.adminPassword ?? generatePassword();
      if (!config.adminPassword) generatedPassword = password;
      admin = { id: uuidv7(now.getTime()), email: config.adminEmail, displayName: 'Operator admin', passwordHash: await hashPassword(password), status: 'active', createdAt: now, deactivatedAt: null };
      await users.insert(tx, admin);
      adminCreated = true;
    }
    if (!(await users.findMembershipByKey(tx, admin.id, operator.id, 'operator_admin'))) {
      await users.insertMembership(tx, { id: uuidv7(now.getTime()), userId: admin.id, tenantId: operator.id, role: 'operator_admin', createdAt: now });
      await audit.record(tx, { actor: SYSTEM_ACTOR, action: 'membership.added', tenantId: operator.id, targetType: 'user', targetId: admin.id, data: { role: 'operator_admin', bootstrap: true } });
    }
    return { operatorTenantId: operator.id, adminEmail: admin.email, generatedPassword, adminCreated };
  });
}
