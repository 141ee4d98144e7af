import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, OutboxWriter, Tx, uuidv7 } from '@werkbank/kernel';
import { generateApiKey, sha256 } from '../domain/secrets';
import { ApiKeyRepository } from '../infrastructure/persistence/tenancy.repositories';

/** An API key the platform issued for a tenant on its own account (e.g. a service instance's gateway key). */
export interface IssuedServiceApiKey {
  apiKeyId: string;
  /** the secret; only its SHA-256 is stored */
  key: string;
}

/**
 * API keys the core issues for a tenant without a principal asking (provisioning's gateway keys):
 * the same `wbk_` keys, hashing and events as `POST /v1/tenants/:id/api-keys`, written in the
 * caller's transaction. Access checks are the caller's business.
 */
@Injectable()
export class ServiceApiKeys {
  constructor(private readonly apiKeys: ApiKeyRepository, private readonly outbox: OutboxWriter, @Inject(CLOCK) private readonly clock: Clock) {}

  async issue(tx: Tx, input: { tenantId: string; name: string; scopes: string[]; createdBy: string }): Promise<IssuedServiceApiKey> {
    const now = this.clock.now();
    const key = generateApiKey();
    const row = {
      id: uuidv7(now.getTime()), tenantId: input.tenantId, name: input.name, prefix: key.slice(0, 12), keyHash: sha256(key),
      scopes: [...new Set(input.scopes)], expiresAt: null, lastUsedAt: null, revokedAt: null, createdBy: input.createdBy, createdAt: now,
    };
    await this.apiKeys.insert(tx, row);
    await this.outbox.append(tx, { type: 'tenancy.api_key_created', tenantId: input.tenantId, payload: { apiKeyId: row.id, scopes: row.scopes } });
    return { apiKeyId: row.id, key };
  }

  /** Revokes the key; nothing happens when it is unknown or revoked already. */
  async revoke(tx: Tx, apiKeyId: string): Promise<void> {
    const key = await this.apiKeys.findById(tx, apiKeyId);
    if (!key || key.revokedAt) return;
    await this.apiKeys.revoke(tx, key.id, this.clock.now());
    await this.outbox.append(tx, { type: 'tenancy.api_key_revoked', tenantId: key.tenantId, payload: { apiKeyId: key.id } });
  }
}
