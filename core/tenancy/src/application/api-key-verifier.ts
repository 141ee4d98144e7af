import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner } from '@werkbank/kernel';
import { hasValidApiKeyChecksum, sha256 } from '../domain/secrets';
import type { TenantKind, TenantStatus } from '../domain/tenant';
import { ApiKeyRepository } from '../infrastructure/persistence/tenancy.repositories';

/** last_used_at is written at most this often per key. */
const TOUCH_INTERVAL_MS = 60_000;

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
  /** when the key stops working (null or absent: never); a cached answer must be checked against it */
  expiresAt?: Date | null;
}

/**
 * Checks an API key (`wbk_…`): checksum first (a mistyped key costs no lookup), then one
 * indexed lookup by SHA-256. Unknown, revoked and expired keys give null; a key whose tenant
 * (or an ancestor) is not active is returned with that status, so the caller can say why it refuses.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly logger = new Logger('ApiKeyVerifier');
  /** when this process last wrote each key's last_used_at */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly tx: TransactionRunner,
    private readonly apiKeys: ApiKeyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The key's hash, the identity callers may cache a verification under (never the key itself). */
  static hash(key: string): string {
    return sha256(key);
  }

  async verify(key: string): Promise<VerifiedApiKey | null> {
    return hasValidApiKeyChecksum(key) ? this.verifyHash(sha256(key)) : null;
  }

  /**
   * As `verify`, for a caller that hashed the key already (and checked its checksum). One
   * statement: the key, its tenant and the highest blocked tenant on the path. `last_used_at` is
   * written beside the request (at most once a minute per key), never waited for.
   */
  async verifyHash(keyHash: string): Promise<VerifiedApiKey | null> {
    const row = await this.apiKeys.findLiveByHash(this.tx.reader(), keyHash);
    const now = this.clock.now();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return null;
    if (!row.blockedStatus) this.touch(row.id, now);
    return {
      apiKeyId: row.id, tenantId: row.tenantId, tenantKind: row.tenantKind, tenantPath: row.tenantPath, scopes: row.scopes,
      tenantStatus: row.blockedStatus ?? 'active', expiresAt: row.expiresAt,
    };
  }

  private touch(id: string, now: Date): void {
    const last = this.touched.get(id);
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= 100_000) this.touched.clear();
    this.touched.set(id, now.getTime());
    this.apiKeys.touch(this.tx.reader(), id, now).catch((error: unknown) => {
      this.touched.delete(id);
      this.logger.warn({ msg: 'could not record the last use of an API key', apiKeyId: id, err: (error as Error).message });
    });
  }
}
