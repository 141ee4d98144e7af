import { Injectable } from '@nestjs/common';
import { entityManagerOf, preparedQuery, Tx, UUID_PATTERN } from '@werkbank/kernel';
import { ApiKeyEntity, MembershipEntity, RefreshTokenEntity, TenantEntity, UserEntity, UserTokenEntity } from './tenancy.entities';
import type { Grant } from '../../application/access';
import type { Role } from '../../domain/roles';
import type { TenantKind, TenantStatus } from '../../domain/tenant';

/** LIKE prefix match that is safe for any input. */
function likePrefix(path: string): string {
  return `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** What access checks and tenant summaries read of a tenant. */
export type TenantAccessRow = Pick<TenantEntity, 'id' | 'name' | 'status' | 'path' | 'timeZone'>;

@Injectable()
export class TenantRepository {
  /**
   * The tenant's access row by id (null when there is none, or the id is not a UUID): one prepared
   * statement without entity mapping — every tenant-scoped read asks it once.
   */
  async findAccessRow(tx: Tx, id: string): Promise<TenantAccessRow | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const rows = await preparedQuery<TenantAccessRow>(tx, 'tenancy_tenant_access_row',
      'SELECT id, name, status, path, time_zone AS "timeZone" FROM tenants WHERE id = $1', [id]);
    return rows[0] ?? null;
  }
  async findById(tx: Tx, id: string): Promise<TenantEntity | null> {
    return entityManagerOf(tx).findOne(TenantEntity, { where: { id } });
  }
  async findOperator(tx: Tx): Promise<TenantEntity | null> {
    return entityManagerOf(tx).findOne(TenantEntity, { where: { kind: 'operator' } });
  }
  async insert(tx: Tx, tenant: TenantEntity): Promise<void> {
    await entityManagerOf(tx).insert(TenantEntity, tenant);
  }
  async save(tx: Tx, tenant: TenantEntity): Promise<void> {
    await entityManagerOf(tx).save(TenantEntity, tenant);
  }
  async lockById(tx: Tx, id: string): Promise<TenantEntity | null> {
    return entityManagerOf(tx).findOne(TenantEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }
  /** Tenants under any of the given subtree prefixes, in id order, after `afterId`. */
  async listInSubtrees(tx: Tx, prefixes: string[], afterId: string | undefined, limit: number, filter: { parentId?: string; status?: string }): Promise<TenantEntity[]> {
    if (prefixes.length === 0) return [];
    const qb = entityManagerOf(tx).createQueryBuilder(TenantEntity, 't')
      .where(`t.path LIKE ANY(:prefixes)`, { prefixes: prefixes.map(likePrefix) })
      .orderBy('t.id', 'ASC')
      .limit(limit + 1);
    if (afterId) qb.andWhere('t.id > :afterId', { afterId });
    if (filter.parentId) qb.andWhere('t.parent_id = :parentId', { parentId: filter.parentId });
    if (filter.status) qb.andWhere('t.status = :status', { status: filter.status });
    return qb.getMany();
  }
  async countOpenChildren(tx: Tx, id: string): Promise<number> {
    return entityManagerOf(tx).createQueryBuilder(TenantEntity, 't')
      .where(`t.parent_id = :id AND t.status <> 'closed'`, { id }).getCount();
  }
  /** Ancestors-or-self of a path whose status is not active (a suspended parent blocks its subtree). */
  async blockedAncestor(tx: Tx, path: string): Promise<TenantEntity | null> {
    const ids = path.split('/').filter(Boolean);
    return entityManagerOf(tx).createQueryBuilder(TenantEntity, 't')
      .where('t.id IN (:...ids)', { ids })
      .andWhere(`t.status <> 'active'`)
      .orderBy('length(t.path)', 'ASC')
      .getOne();
  }
}

@Injectable()
export class UserRepository {
  async findById(tx: Tx, id: string): Promise<UserEntity | null> {
    return entityManagerOf(tx).findOne(UserEntity, { where: { id } });
  }
  async findByEmail(tx: Tx, email: string): Promise<UserEntity | null> {
    return entityManagerOf(tx).createQueryBuilder(UserEntity, 'u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }
  async insert(tx: Tx, user: UserEntity): Promise<void> {
    await entityManagerOf(tx).insert(UserEntity, user);
  }
  async save(tx: Tx, user: UserEntity): Promise<void> {
    await entityManagerOf(tx).save(UserEntity, user);
  }
  async grantsOf(tx: Tx, userId: string): Promise<Grant[]> {
    const rows: Array<{ tenant_id: string; path: string; role: Role }> = await entityManagerOf(tx).query(
      `SELECT m.tenant_id, t.path, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY m.id`,
      [userId],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, path: r.path, role: r.role }));
  }
  async membershipsOf(tx: Tx, userId: string): Promise<Array<MembershipEntity & { tenantName: string }>> {
    const rows: Array<{ id: string; user_id: string; tenant_id: string; role: Role; created_at: Date; name: string }> = await entityManagerOf(tx).query(
      `SELECT m.*, t.name FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 ORDER BY m.id`,
      [userId],
    );
    return rows.map((r) => ({ id: r.id, userId: r.user_id, tenantId: r.tenant_id, role: r.role, createdAt: r.created_at, tenantName: r.name }));
  }
  async findMembership(tx: Tx, id: string): Promise<MembershipEntity | null> {
    return entityManagerOf(tx).findOne(MembershipEntity, { where: { id } });
  }
  async findMembershipByKey(tx: Tx, userId: string, tenantId: string, role: Role): Promise<MembershipEntity | null> {
    return entityManagerOf(tx).findOne(MembershipEntity, { where: { userId, tenantId, role } });
  }
  async insertMembership(tx: Tx, membership: MembershipEntity): Promise<void> {
    await entityManagerOf(tx).insert(MembershipEntity, membership);
  }
  async deleteMembership(tx: Tx, id: string): Promise<void> {
    await entityManagerOf(tx).delete(MembershipEntity, { id });
  }
  async countMembershipsWithRole(tx: Tx, tenantId: string, role: Role): Promise<number> {
    return entityManagerOf(tx).count(MembershipEntity, { where: { tenantId, role } });
  }
  /** Memberships on exactly this node, with their users. */
  async membersOf(tx: Tx, tenantId: string, afterId: string | undefined, limit: number): Promise<Array<{ membership: MembershipEntity; user: UserEntity }>> {
    const qb = entityManagerOf(tx).createQueryBuilder(MembershipEntity, 'm')
      .innerJoinAndMapOne('m.user', UserEntity, 'u', 'u.id = m.user_id')
      .where('m.tenant_id = :tenantId', { tenantId })
      .orderBy('m.id', 'ASC')
      .limit(limit + 1);
    if (afterId) qb.andWhere('m.id > :afterId', { afterId });
    const rows = (await qb.getMany()) as Array<MembershipEntity & { user: UserEntity }>;
    return rows.map((m) => ({ membership: m, user: m.user }));
  }
  /** Whether the user has a membership anywhere under the given subtree prefixes. */
  async isMemberUnder(tx: Tx, userId: string, prefixes: string[]): Promise<boolean> {
    if (prefixes.length === 0) return false;
    const rows: unknown[] = await entityManagerOf(tx).query(
      `SELECT 1 FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE m.user_id = $1 AND t.path LIKE ANY($2) LIMIT 1`,
      [userId, prefixes.map(likePrefix)],
    );
    return rows.length > 0;
  }
}

@Injectable()
export class TokenRepository {
  async insertUserToken(tx: Tx, token: UserTokenEntity): Promise<void> {
    await entityManagerOf(tx).insert(UserTokenEntity, token);
  }
  async findUserToken(tx: Tx, kind: UserTokenEntity['kind'], tokenHash: string): Promise<UserTokenEntity | null> {
    return entityManagerOf(tx).findOne(UserTokenEntity, { where: { kind, tokenHash }, lock: { mode: 'pessimistic_write' } });
  }
  async markUserTokenUsed(tx: Tx, id: string, at: Date): Promise<void> {
    await entityManagerOf(tx).update(UserTokenEntity, { id }, { usedAt: at });
  }
  async invalidateUserTokens(tx: Tx, userId: string, kind: UserTokenEntity['kind'], at: Date): Promise<void> {
    await entityManagerOf(tx).createQueryBuilder().update(UserTokenEntity).set({ usedAt: at })
      .where('user_id = :userId AND kind = :kind AND used_at IS NULL', { userId, kind }).execute();
  }
  async insertRefreshToken(tx: Tx, token: RefreshTokenEntity): Promise<void> {
    await entityManagerOf(tx).insert(RefreshTokenEntity, token);
  }
  async lockRefreshToken(tx: Tx, id: string): Promise<RefreshTokenEntity | null> {
    return entityManagerOf(tx).findOne(RefreshTokenEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }
  async markRotated(tx: Tx, id: string, at: Date): Promise<void> {
    await entityManagerOf(tx).update(RefreshTokenEntity, { id }, { rotatedAt: at });
  }
  async revokeFamily(tx: Tx, familyId: string, at: Date): Promise<void> {
    await entityManagerOf(tx).createQueryBuilder().update(RefreshTokenEntity).set({ revokedAt: at })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId }).execute();
  }
  async revokeAllOfUser(tx: Tx, userId: string, at: Date): Promise<void> {
    await entityManagerOf(tx).createQueryBuilder().update(RefreshTokenEntity).set({ revokedAt: at })
      .where('user_id = :userId AND revoked_at IS NULL', { userId }).execute();
  }
}

export interface ApiKeyWithTenant {
  id: string;
  tenantId: string;
  scopes: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  tenantKind: TenantKind;
  tenantPath: string;
  blockedStatus: TenantStatus | null;
}

@Injectable()
export class ApiKeyRepository {
  async insert(tx: Tx, key: ApiKeyEntity): Promise<void> {
    await entityManagerOf(tx).insert(ApiKeyEntity, key);
  }
  async findById(tx: Tx, id: string): Promise<ApiKeyEntity | null> {
    return entityManagerOf(tx).findOne(ApiKeyEntity, { where: { id } });
  }
  async findByHash(tx: Tx, keyHash: string): Promise<ApiKeyEntity | null> {
    return entityManagerOf(tx).findOne(ApiKeyEntity, { where: { keyHash } });
  }
  /** The key by hash with its tenant and the status of the highest tenant on its path that is not active (null: all active). */
  async findLiveByHash(tx: Tx, keyHash: string): Promise<ApiKeyWithTenant | null> {
    const rows: Array<{ id: string; tenant_id: string; scopes: string[]; expires_at: Date | null; revoked_at: Date | null; kind: TenantKind; path: string; blocked: TenantStatus | null }> =
      await entityManagerOf(tx).query(
        `SELECT k.id, k.tenant_id, k.scopes, k.expires_at, k.revoked_at, t.kind, t.path,
                (SELECT a.status FROM tenants a
                  WHERE a.id = ANY(string_to_array(trim(both '/' from t.path), '/')::uuid[]) AND a.status <> 'active'
                  ORDER BY length(a.path) LIMIT 1) AS blocked
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
          WHERE k.key_hash = $1`,
        [keyHash],
      );
    const r = rows[0];
    return r ? {
      id: r.id, tenantId: r.tenant_id, scopes: r.scopes, expiresAt: r.expires_at && new Date(r.expires_at), revokedAt: r.revoked_at && new Date(r.revoked_at),
      tenantKind: r.kind, tenantPath: r.path, blockedStatus: r.blocked,
    } : null;
  }
  async revoke(tx: Tx, id: string, at: Date): Promise<void> {
    await entityManagerOf(tx).update(ApiKeyEntity, { id }, { revokedAt: at });
  }
  async revokeAllOfTenant(tx: Tx, tenantId: string, at: Date): Promise<void> {
    await entityManagerOf(tx).createQueryBuilder().update(ApiKeyEntity).set({ revokedAt: at })
      .where('tenant_id = :tenantId AND revoked_at IS NULL', { tenantId }).execute();
  }
  /** last_used_at is written at most once a minute per key, not on every request. */
  async touch(tx: Tx, id: string, at: Date): Promise<void> {
    await entityManagerOf(tx).query(
      `UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
      [id, at, new Date(at.getTime() - 60_000)],
    );
  }
  async listOfTenant(tx: Tx, tenantId: string, afterId: string | undefined, limit: number): Promise<ApiKeyEntity[]> {
    const qb = entityManagerOf(tx).createQueryBuilder(ApiKeyEntity, 'k').where('k.tenant_id = :tenantId', { tenantId }).orderBy('k.id', 'ASC').limit(limit + 1);
    if (afterId) qb.andWhere('k.id > :afterId', { afterId });
    return qb.getMany();
  }
}

export { likePrefix };
