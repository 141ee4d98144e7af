import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, ProblemException, Problems, TransactionRunner, uuidv7 } from '@werkbank/kernel';
import { generateApiKey, sha256 } from '../../domain/secrets';
import { ApiKeyRepository, TenantRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { can, canSee } from '../access';
import { ApiKeyCache } from '../api-key-cache';
import { TenantAccess } from '../tenant-access';
import { toApiKeyView } from '../views';
import { CreateApiKeyCommand, CreatedApiKey, RevokeApiKeyCommand } from './api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly apiKeys: ApiKeyRepository,
    private readonly access: TenantAccess,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, name, scopes, expiresAt }: CreateApiKeyCommand): Promise<CreatedApiKey> {
    return this.tx.run(async (tx) => {
      const tenant = await this.access.require(tx, principal, tenantId, 'api_keys:write', { lock: true });
      await this.access.requireActive(tx, tenant);
      const now = this.clock.now();
      if (expiresAt && expiresAt <= now) {
        throw new ProblemException(400, 'request.validation_failed', 'The request is invalid', 'expiresAt must be in the future.', { errors: [{ field: 'expiresAt', message: 'expiresAt must be in the future' }] });
      }
      // An API key cannot mint a key with more power than itself.
      if (principal.kind === 'api_key' && !principal.scopes.includes('*') && scopes.some((s) => !principal.scopes.includes(s))) {
        throw Problems.forbidden('api_key.scope_escalation', 'An API key can only create keys with scopes it has itself.');
      }
      const key = generateApiKey();
      const row = {
        id: uuidv7(now.getTime()), tenantId: tenant.id, name, prefix: key.slice(0, 12), keyHash: sha256(key),
        scopes: [...new Set(scopes)], expiresAt: expiresAt ?? null, lastUsedAt: null, revokedAt: null,
        createdBy: `${principal.kind}:${principal.id}`, createdAt: now,
      };
      await this.apiKeys.insert(tx, row);
      await this.outbox.append(tx, { type: 'tenancy.api_key_created', tenantId: tenant.id, payload: { apiKeyId: row.id, scopes: row.scopes } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'api_key.created', tenantId: tenant.id, targetType: 'api_key', targetId: row.id, data: { name, scopes: row.scopes } });
      return { ...toApiKeyView(row), key };
    });
  }
}

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly apiKeys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keyCache: ApiKeyCache,
  ) {}

  async execute(command: RevokeApiKeyCommand): Promise<void> {
    try {
      await this.revoke(command);
    } finally {
      // refused at once in this process (after the commit); other replicas within the cache's 2 × TTL
      this.keyCache.clear();
    }
  }

  private async revoke({ principal, apiKeyId }: RevokeApiKeyCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const key = await this.apiKeys.findById(tx, apiKeyId);
      const tenant = key ? await this.tenants.findById(tx, key.tenantId) : null;
      if (!key || !tenant || !canSee(principal, tenant.path)) throw Problems.notFound('api_key.not_found', 'API key');
      if (!can(principal, tenant.path, 'api_keys:write') && !(principal.kind === 'api_key' && principal.id === key.id)) throw Problems.forbidden();
      if (key.revokedAt) return;
      await this.apiKeys.revoke(tx, key.id, this.clock.now());
      await this.outbox.append(tx, { type: 'tenancy.api_key_revoked', tenantId: tenant.id, payload: { apiKeyId: key.id } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'api_key.revoked', tenantId: tenant.id, targetType: 'api_key', targetId: key.id, data: { name: key.name } });
    });
  }
}
