import { Inject, Injectable, Module } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner, Tx } from '@werkbank/kernel';
import { GATEWAY_KEY_ISSUER, PluginGatewayKeys } from '@werkbank/plugin-host';
import { IssuedGatewayKey, PermanentError } from '@werkbank/plugin-sdk';
import { ServiceApiKeys } from '@werkbank/tenancy';
import { BoundInstance, GatewayKeyRepository } from '../infrastructure/persistence/gateway-key.repository';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';

export type { BoundInstance } from '../infrastructure/persistence/gateway-key.repository';

/**
 * The gateway keys of service instances (`ctx.gatewayKeys`): tenancy API keys with the scope
 * `gateway:<pluginId>`, bound to one instance in `service_gateway_keys`. Issuing again revokes
 * the earlier key; deprovisioning revokes it (`revokeIn`, in the step's transaction).
 */
@Injectable()
export class GatewayKeys implements PluginGatewayKeys {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly instances: ServiceInstanceRepository,
    private readonly bindings: GatewayKeyRepository,
    private readonly apiKeys: ServiceApiKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async issue(pluginId: string, ref: { instanceId: string; tenantId: string }): Promise<IssuedGatewayKey> {
    return this.tx.run(async (tx) => {
      const instance = await this.instances.findById(tx, ref.instanceId);
      // a plugin can only issue keys for its own instances, to their own tenant
      if (!instance || instance.pluginId !== pluginId || instance.tenantId !== ref.tenantId) {
        throw new PermanentError(`no ${pluginId} instance ${ref.instanceId} of tenant ${ref.tenantId}: a gateway key is issued for the instance being provisioned`, { code: 'gateway_key.unknown_instance' });
      }
      if (instance.state === 'deprovisioning' || instance.state === 'deprovisioned') {
        throw new PermanentError(`instance ${ref.instanceId} is ${instance.state}: it gets no gateway key`, { code: 'gateway_key.instance_removed' });
      }
      await this.revokeIn(tx, instance.id);
      const scope = `gateway:${pluginId}`;
      const issued = await this.apiKeys.issue(tx, { tenantId: instance.tenantId, name: `${pluginId} gateway key (service ${instance.id})`, scopes: [scope], createdBy: `service:${instance.id}` });
      await this.bindings.upsert(tx, { instanceId: instance.id, apiKeyId: issued.apiKeyId, pluginId }, this.clock.now());
      return { keyId: issued.apiKeyId, key: issued.key, scope };
    });
  }

  async revoke(pluginId: string, instanceId: string): Promise<void> {
    await this.tx.run(async (tx) => {
      const instance = await this.instances.findById(tx, instanceId);
      if (!instance || instance.pluginId !== pluginId) return;
      await this.revokeIn(tx, instanceId);
    });
  }

  /** Revokes the instance's key (if any) in the caller's transaction. */
  async revokeIn(tx: Tx, instanceId: string): Promise<void> {
    const binding = await this.bindings.lockByInstance(tx, instanceId);
    if (!binding) return;
    await this.apiKeys.revoke(tx, binding.apiKeyId);
    await this.bindings.delete(tx, instanceId);
  }
}

/** The read side the gateway uses: which instance an API key was issued for, its state and entitlements. */
@Injectable()
export class GatewayKeyBindings {
  constructor(private readonly tx: TransactionRunner, private readonly bindings: GatewayKeyRepository) {}

  /** null for keys not bound to an instance (keys created with POST /v1/tenants/:id/api-keys) */
  instanceOfKey(apiKeyId: string): Promise<BoundInstance | null> {
    return this.bindings.instanceOfKey(this.tx.reader(), apiKeyId);
  }
}

/** `GatewayKeyBindings` for the gateway process, without the rest of provisioning. */
@Module({
  providers: [GatewayKeyRepository, GatewayKeyBindings],
  exports: [GatewayKeyBindings],
})
export class GatewayKeyBindingsModule {}

/** The issuer behind `ctx.gatewayKeys`, found by the plugin host through `GATEWAY_KEY_ISSUER`. */
export const GATEWAY_KEY_PROVIDERS = [GatewayKeyRepository, GatewayKeys, { provide: GATEWAY_KEY_ISSUER, useExisting: GatewayKeys }];
