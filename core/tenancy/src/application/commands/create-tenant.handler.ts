import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, ProblemException, TransactionRunner, uuidv7 } from '@werkbank/kernel';
import { childPath } from '../../domain/tenant';
import { TenantRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { TenantAccess } from '../tenant-access';
import { toTenantView, TenantView } from '../views';
import { CreateTenantCommand } from './create-tenant.command';

@CommandHandler(CreateTenantCommand)
export class CreateTenantHandler implements ICommandHandler<CreateTenantCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantRepository,
    private readonly access: TenantAccess,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, input }: CreateTenantCommand): Promise<TenantView> {
    return this.tx.run(async (tx) => {
      const parentId = input.parentId ?? principal.tenantId ?? (await this.defaultParent(tx, principal));
      const parent = await this.access.require(tx, principal, parentId, 'tenants:write', { lock: true });
      await this.access.requireActive(tx, parent);
      const kind = input.kind ?? 'organization';
      if (kind === 'reseller' && parent.kind !== 'operator') {
        throw new ProblemException(422, 'tenant.reseller_parent', 'Resellers belong to the operator', 'Create resellers directly under the operator tenant.');
      }
      const now = this.clock.now();
      const id = uuidv7(now.getTime());
      const tenant = {
        id, parentId: parent.id, path: childPath(parent.path, id), kind, name: input.name, legalName: input.legalName,
        country: input.country.toUpperCase(), currency: input.currency.toUpperCase(), billingEmail: input.billingEmail,
        address: input.address ?? null, vatId: input.vatId ?? null, buyerReference: input.buyerReference ?? null,
        timeZone: input.timeZone ?? 'Europe/Berlin', status: 'active' as const, suspendedAt: null, suspensionReason: null,
        closedAt: null, createdAt: now, updatedAt: now,
      };
      await this.tenants.insert(tx, tenant);
      await this.outbox.append(tx, { type: 'tenancy.tenant_created', tenantId: id, payload: { tenantId: id, parentId: parent.id, kind } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'tenant.created', tenantId: id, targetType: 'tenant', targetId: id, data: { name: input.name, parentId: parent.id, kind } });
      return toTenantView(tenant);
    });
  }

  /** A user with exactly one admin grant creates under that node; otherwise parentId is required. */
  private async defaultParent(_tx: unknown, principal: CreateTenantCommand['principal']): Promise<string> {
    const adminGrants = principal.grants.filter((g) => g.role && g.role !== 'tenant_member' && g.role !== 'billing_viewer');
    if (adminGrants.length === 1) return adminGrants[0].tenantId;
    throw new ProblemException(400, 'request.validation_failed', 'The request is invalid', 'Say under which tenant to create this one.', {
      errors: [{ field: 'parentId', message: 'parentId is required because you administer more than one tenant' }],
    });
  }
}
