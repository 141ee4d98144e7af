export * from './tenancy.module';
export * from './bootstrap';
export * from './domain/roles';
export * from './domain/tenant';
export type { TenancyPrincipal, Grant } from './application/access';
export { hasValidApiKeyChecksum, generateApiKey } from './domain/secrets';
import { TENANCY_ENTITIES } from './infrastructure/persistence/tenancy.entities';
import { TenancyInit1763900000100 } from './infrastructure/persistence/migrations/1763900000100-tenancy-init';

export { TENANCY_ENTITIES };
export const TENANCY_MIGRATIONS = [TenancyInit1763900000100];
export * from './tenancy-consumers.module';
export { TenantStatusNotifier } from './application/consumers/tenant-status-notifier.consumer';
export { TenantDirectory, tenantSlug } from './application/tenant-directory';
export type { TenantSummary } from './application/tenant-directory';
export { CurrentPrincipal } from './auth/auth.guard';
export type { Permission } from './domain/roles';
