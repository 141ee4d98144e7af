import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';
import type { Role } from '../../domain/roles';
import { InvitationEntity } from './invitation.entity';

/** Invitations that were neither accepted, declined nor revoked (expired ones included). */
const OPEN = 'i.accepted_at IS NULL AND i.declined_at IS NULL AND i.revoked_at IS NULL';

@Injectable()
export class InvitationRepository {
  async insert(tx: Tx, invitation: InvitationEntity): Promise<void> {
    await entityManagerOf(tx).insert(InvitationEntity, invitation);
  }
  async save(tx: Tx, invitation: InvitationEntity): Promise<void> {
    await entityManagerOf(tx).save(InvitationEntity, invitation);
  }
  /** The open invitation of this address to this role on this tenant, locked (at most one exists). */
  async lockOpen(tx: Tx, tenantId: string, email: string, role: Role): Promise<InvitationEntity | null> {
    return entityManagerOf(tx).createQueryBuilder(InvitationEntity, 'i')
      .where(`i.tenant_id = :tenantId AND i.email = :email AND i.role = :role AND ${OPEN}`, { tenantId, email, role })
      .setLock('pessimistic_write')
      .getOne();
  }
  async lockByTokenHash(tx: Tx, tokenHash: string): Promise<InvitationEntity | null> {
    return entityManagerOf(tx).findOne(InvitationEntity, { where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
  }
  async lockOfTenant(tx: Tx, tenantId: string, id: string): Promise<InvitationEntity | null> {
    return entityManagerOf(tx).findOne(InvitationEntity, { where: { id, tenantId }, lock: { mode: 'pessimistic_write' } });
  }
  /** Open invitations on exactly this tenant, in id order, after `afterId`. */
  async listOpenOfTenant(tx: Tx, tenantId: string, afterId: string | undefined, limit: number): Promise<InvitationEntity[]> {
    const qb = entityManagerOf(tx).createQueryBuilder(InvitationEntity, 'i')
      .where(`i.tenant_id = :tenantId AND ${OPEN}`, { tenantId })
      .orderBy('i.id', 'ASC')
      .limit(limit + 1);
    if (afterId) qb.andWhere('i.id > :afterId', { afterId });
    return qb.getMany();
  }
}
