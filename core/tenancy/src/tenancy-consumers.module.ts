import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TenantStatusNotifier } from './application/consumers/tenant-status-notifier.consumer';
import { ApiKeyRepository, TenantRepository } from './infrastructure/persistence/tenancy.repositories';
import { TenantAccess } from './application/tenant-access';
import { TenantDirectory } from './application/tenant-directory';
import { ApiKeyVerifier } from './application/api-key-verifier';
import { ServiceApiKeys } from './application/service-api-keys';

/** The tenancy context's event consumers and maintenance, for the worker process. */
@Module({
  providers: [TenantRepository, TenantStatusNotifier],
  exports: [TenantStatusNotifier],
})
export class TenancyConsumersModule {}

/** What other contexts use of tenancy (TenantDirectory, ApiKeyVerifier, ServiceApiKeys), for the api, worker and gateway processes. */
@Module({
  providers: [TenantRepository, TenantAccess, TenantDirectory, ApiKeyRepository, ApiKeyVerifier, ServiceApiKeys],
  exports: [TenantDirectory, ApiKeyVerifier, ServiceApiKeys],
})
export class TenantDirectoryModule {}

/** Deletes tokens nobody can use any more: expired or used invitation/reset tokens, dead refresh tokens. */
export async function pruneExpiredTokens(dataSource: DataSource, now: Date): Promise<void> {
  const weekAgo = new Date(now.getTime() - 7 * 86400_000);
  await dataSource.query(`DELETE FROM user_tokens WHERE expires_at < $1 OR used_at < $1`, [weekAgo]);
  await dataSource.query(`DELETE FROM refresh_tokens WHERE expires_at < $1 OR revoked_at < $1`, [weekAgo]);
  // invitations a week after they expired or were accepted, declined or revoked (the audit log keeps what happened)
  await dataSource.query(`DELETE FROM invitations WHERE expires_at < $1 OR accepted_at < $1 OR declined_at < $1 OR revoked_at < $1`, [weekAgo]);
}
