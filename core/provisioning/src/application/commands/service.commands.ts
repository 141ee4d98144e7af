import { Command } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '@werkbank/tenancy';
import type { ServiceInstanceView } from '../views';

export interface RequestServiceInput {
  plugin: string;
  mode?: 'shared' | 'dedicated';
  options?: Record<string, unknown>;
}

/** Asks for a service for a tenant; the engine provisions it asynchronously (202). */
export class RequestServiceCommand extends Command<ServiceInstanceView> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly input: RequestServiceInput) {
    super();
  }
}

export type ServiceStateChange = 'suspend' | 'resume' | 'deprovision';

export class ChangeServiceStateCommand extends Command<ServiceInstanceView> {
  constructor(readonly principal: TenancyPrincipal, readonly instanceId: string, readonly change: ServiceStateChange) {
    super();
  }
}

/** An operator changes an instance's entitlements: validated, stored, applied at the service, quotas synced. */
export class ChangeEntitlementsCommand extends Command<ServiceInstanceView> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly instanceId: string, readonly entitlements: Record<string, unknown>) {
    super();
  }
}

export interface RevealedCredentials {
  instanceId: string;
  credentials: Record<string, string>;
  revealedAt: string;
}

/** Shows the credentials once; a second call answers 410. */
export class RevealCredentialsCommand extends Command<RevealedCredentials> {
  constructor(readonly principal: TenancyPrincipal, readonly instanceId: string) {
    super();
  }
}

/** Has the plugin issue new credentials (the old ones stop working) and shows them once. */
export class RotateCredentialsCommand extends Command<RevealedCredentials> {
  constructor(readonly principal: TenancyPrincipal, readonly instanceId: string) {
    super();
  }
}
