import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner } from '@werkbank/kernel';
import { hasValidApiKeyChecksum, sha256 } from '../domain/secrets';
import type { TenantKind, TenantStatus } from '../domain/tenant';
import { ApiKeyRepository, TenantRepository } from '../infrastructure/persistence/tenancy.repositories';

/** A live API key: what a caller outside tenancy (the API's bearer strategy, the metering gateway) may know. */
export interface VerifiedApiKey {
  apiKeyId: string;
  tenantId: string;
  tenantKind: TenantKind;
  /** materialized path of the key's tenant (`/root/…/self/`) */
  tenantPath: string;
  scopes: string[];
  /** `active`, or the status of the highest suspended or closed tenant on the path: the key then must be refused */
  tenantStatus: TenantStatus;
}

/**
 * Checks an API key (`wbk_…`): checksum first (a mistyped key costs no lookup), then one
 * indexed lookup by SHA-256. Unknown, revoked and expired keys give null; a key whose tenant
 * (or an ancestor) is not active is returned with that status, so the caller can say why it refuses.
 */
@Injectable()
export class ApiKeyVerifier {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly apiKeys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The key's hash, the identity callers may cache a verification under (never the key itself). */
  static hash(key: string): string {
    return sha256(key);
  }

  async verify(key: string): Promise<VerifiedApiKey | null> {
    return hasValidApiKeyChecksum(key) ? this.verifyHash(sha256(key)) : null;
  }

  /** As `verify`, for a caller that hashed the key already (and checked its checksum). */
  async verifyHash(keyHash: string): Promise<VerifiedApiKey | null> {
    const reader = this.tx.reader();
    const row = await this.apiKeys.findByHash(reader, keyHash);
    const now = this.clock.now();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
    const tenant = await this.tenants.findById(reader, row.tenantId);
    if (!tenant) return null;
    const blocked = await this.tenants.blockedAncestor(reader, tenant.path);
    if (!blocked) await this.apiKeys.touch(reader, row.id, now);
    return {
      apiKeyId: row.id, tenantId: tenant.id, tenantKind: tenant.kind, tenantPath: tenant.path, scopes: row.scopes,
      tenantStatus: blocked ? blocked.status : 'active',
    };
  }
}
