import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, FieldError, ProblemException, Problems, SECRET_BOX, SecretBox, TransactionRunner, uuidv7 } from '@werkbank/kernel';
import { PluginRegistry } from '@werkbank/plugin-host';
import { Entitlements, isRetryable } from '@werkbank/plugin-sdk';
import { isOperatorAdmin, TenantDirectory } from '@werkbank/tenancy';
import Ajv from 'ajv';
import { ServiceInstanceRepository } from '../../infrastructure/persistence/service-instance.repository';
import { PROVISIONING_CONFIG, ProvisioningConfig } from '../../provisioning.config';
import { EntitlementQuotaSync, entitlementValueProblem } from '../entitlement-quotas';
import { InstanceLifecycle } from '../instance-lifecycle';
import { ServiceAccess } from '../service-access';
import { describeError } from '../step-executor';
import { toInstanceView, ServiceInstanceView } from '../views';
import { ChangeEntitlementsCommand, ChangeServiceStateCommand, RequestServiceCommand, RevealCredentialsCommand, RevealedCredentials, RotateCredentialsCommand } from './service.commands';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

@CommandHandler(RequestServiceCommand)
export class RequestServiceHandler implements ICommandHandler<RequestServiceCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly instances: ServiceInstanceRepository,
    private readonly tenants: TenantDirectory,
    private readonly plugins: PluginRegistry,
    private readonly lifecycle: InstanceLifecycle,
    private readonly quotas: EntitlementQuotaSync,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, input }: RequestServiceCommand): Promise<ServiceInstanceView> {
    const { view, step } = await this.tx.run(async (tx) => {
      const tenant = await this.tenants.requireAccess(tx, principal, tenantId, 'services:write', { active: true });
      const plugin = this.plugins.require(input.plugin);
      if (!plugin.plugin.provisioner) {
        throw new ProblemException(422, 'service.not_provisionable', 'Service cannot be provisioned', `The plugin ${plugin.id} offers no provisioning.`);
      }
      const mode = input.mode ?? plugin.manifest.modes[0];
      if (!plugin.manifest.modes.includes(mode)) {
        throw new ProblemException(422, 'service.mode_unsupported', 'Mode not supported', `${plugin.id} supports ${plugin.manifest.modes.join(', ')}.`);
      }
      const options = { ...(input.options ?? {}) };
      const schema = plugin.manifest.instanceOptionsSchema;
      if (schema) {
        const validate = ajv.compile(schema);
        if (!validate(options)) {
          throw new ProblemException(400, 'request.validation_failed', 'The request is invalid', 'The service options do not match the plugin\'s schema; see `errors`.', {
            errors: (validate.errors ?? []).map((e) => ({ field: `options${e.instancePath.replace(/\//g, '.')}${e.keyword === 'required' ? `.${String(e.params.missingProperty)}` : ''}`, message: e.message ?? 'invalid' })),
          });
        }
      } else if (Object.keys(options).length > 0) {
        throw new ProblemException(400, 'request.validation_failed', 'The request is invalid', `${plugin.id} takes no per-instance options.`, { errors: [{ field: 'options', message: 'must be empty for this service' }] });
      }
      if (await this.instances.findLive(tx, tenant.id, plugin.id)) {
        throw new ProblemException(409, 'service.exists', 'Service already exists', `This tenant already has ${plugin.id}; delete it first to request a new one.`);
      }
      const entitlements: Entitlements = {};
      for (const key of plugin.manifest.entitlementKeys ?? []) if (key.default !== undefined) entitlements[key.key] = key.default;
      const now = this.clock.now();
      const instance = {
        id: uuidv7(now.getTime()), tenantId: tenant.id, pluginId: plugin.id, mode, options, state: 'requested' as const, desiredState: 'active' as const,
        generation: 0, epoch: 0, failureReason: null, externalId: null, endpoints: {}, metadata: {}, entitlements,
        credentialsSealed: null, credentialsRevealedAt: null, lastInspectedAt: null, heldByTenant: false, createdAt: now, updatedAt: now,
      };
      await this.instances.insert(tx, instance);
      await this.instances.addTransition(tx, { instanceId: instance.id, from: 'requested', to: 'requested', at: now, reason: 'requested' });
      await this.quotas.apply(tx, tenant.id, plugin.manifest, entitlements);
      const step = await this.lifecycle.steer(tx, instance, 'active', 'requested by the tenant');
      await this.audit.record(tx, { actor: actorOf(principal), action: 'service.requested', tenantId: tenant.id, targetType: 'service', targetId: instance.id, data: { plugin: plugin.id, mode } });
      return { view: toInstanceView(instance), step };
    });
    await this.lifecycle.dispatch([step]);
    return view;
  }
}

@CommandHandler(ChangeServiceStateCommand)
export class ChangeServiceStateHandler implements ICommandHandler<ChangeServiceStateCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: ServiceAccess,
    private readonly lifecycle: InstanceLifecycle,
    private readonly audit: AuditWriter,
  ) {}

  async execute({ principal, instanceId, change }: ChangeServiceStateCommand): Promise<ServiceInstanceView> {
    const { view, step } = await this.tx.run(async (tx) => {
      const { instance } = await this.access.require(tx, principal, instanceId, 'services:write', { lock: true, active: change === 'resume' });
      if (instance.state === 'deprovisioned' || (instance.desiredState === 'deprovisioned' && change !== 'deprovision')) {
        throw new ProblemException(409, 'service.deprovisioned', 'Service removed', 'This service is removed or being removed.');
      }
      if (instance.state === 'failed' && change !== 'deprovision') {
        throw new ProblemException(409, 'service.failed', 'Service failed', `This service failed (${instance.failureReason}); delete it and request it again.`);
      }
      const desired = change === 'suspend' ? 'suspended' : change === 'resume' ? 'active' : 'deprovisioned';
      if (change !== 'deprovision') instance.heldByTenant = false;
      const step = await this.lifecycle.steer(tx, instance, desired, `${change} requested`);
      await this.audit.record(tx, { actor: actorOf(principal), action: `service.${change}_requested`, tenantId: instance.tenantId, targetType: 'service', targetId: instance.id, data: { plugin: instance.pluginId } });
      return { view: toInstanceView(instance), step };
    });
    await this.lifecycle.dispatch([step]);
    return view;
  }
}

@CommandHandler(RevealCredentialsCommand)
export class RevealCredentialsHandler implements ICommandHandler<RevealCredentialsCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: ServiceAccess,
    private readonly instances: ServiceInstanceRepository,
    private readonly audit: AuditWriter,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, instanceId }: RevealCredentialsCommand): Promise<RevealedCredentials> {
    return this.tx.run(async (tx) => {
      const { instance } = await this.access.require(tx, principal, instanceId, 'services:write', { lock: true });
      if (!instance.credentialsSealed) {
        throw new ProblemException(409, 'credentials.not_available', 'No credentials', 'The service has no credentials (yet): wait until it is active, or it issues none.');
      }
      if (instance.credentialsRevealedAt) {
        throw new ProblemException(410, 'credentials.already_revealed', 'Credentials already revealed',
          `The credentials were shown on ${instance.credentialsRevealedAt.toISOString()} and are not shown again; issue new ones with POST /v1/services/${instance.id}/credentials/rotate.`);
      }
      const now = this.clock.now();
      const credentials = JSON.parse(this.secrets.open(instance.credentialsSealed, instance.id)) as Record<string, string>;
      instance.credentialsRevealedAt = now;
      // Re-seal with the current key on the way: rotation of the encryption key happens as credentials are read.
      if (this.secrets.isStale(instance.credentialsSealed)) instance.credentialsSealed = this.secrets.seal(JSON.stringify(credentials), instance.id);
      await this.instances.save(tx, instance);
      await this.audit.record(tx, { actor: actorOf(principal), action: 'service.credentials_revealed', tenantId: instance.tenantId, targetType: 'service', targetId: instance.id });
      return { instanceId: instance.id, credentials, revealedAt: now.toISOString() };
    });
  }
}

@CommandHandler(RotateCredentialsCommand)
export class RotateCredentialsHandler implements ICommandHandler<RotateCredentialsCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: ServiceAccess,
    private readonly instances: ServiceInstanceRepository,
    private readonly plugins: PluginRegistry,
    private readonly tenants: TenantDirectory,
    private readonly audit: AuditWriter,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(PROVISIONING_CONFIG) private readonly config: ProvisioningConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, instanceId }: RotateCredentialsCommand): Promise<RevealedCredentials> {
    const { instance, tenant } = await this.access.require(this.tx.reader(), principal, instanceId, 'services:write', { active: true });
    if (instance.state !== 'active') {
      throw new ProblemException(409, 'service.not_active', 'Service not active', `Credentials can be rotated while the service is active; it is ${instance.state}.`);
    }
    const plugin = this.plugins.require(instance.pluginId);
    const rotate = plugin.plugin.provisioner?.rotateCredentials;
    if (!rotate) throw new ProblemException(422, 'credentials.rotation_unsupported', 'Rotation not supported', `${plugin.id} cannot issue new credentials.`);
    const now = this.clock.now();
    const credentials = await onRequestPath(plugin.id, () => rotate.call(plugin.plugin.provisioner, this.plugins.context(plugin.id, AbortSignal.timeout(this.config.stepTimeoutMs)), {
      instanceId: instance.id, tenant: { id: tenant.id, name: tenant.name, slug: tenant.slug }, mode: instance.mode,
      externalId: instance.externalId ?? '', metadata: instance.metadata as Record<string, unknown>,
    }, { requestKey: `${instance.id}:rotate:${uuidv7(now.getTime())}`, attempt: 1 }));
    return this.tx.run(async (tx) => {
      const locked = await this.instances.lockById(tx, instance.id);
      if (!locked) throw new ProblemException(404, 'service.not_found', 'Service not found', 'No service with this id is visible to you.');
      locked.credentialsSealed = this.secrets.seal(JSON.stringify(credentials), locked.id);
      locked.credentialsRevealedAt = now;
      await this.instances.save(tx, locked);
      await this.audit.record(tx, { actor: actorOf(principal), action: 'service.credentials_rotated', tenantId: locked.tenantId, targetType: 'service', targetId: locked.id });
      return { instanceId: locked.id, credentials, revealedAt: now.toISOString() };
    });
  }
}

@CommandHandler(ChangeEntitlementsCommand)
export class ChangeEntitlementsHandler implements ICommandHandler<ChangeEntitlementsCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: ServiceAccess,
    private readonly instances: ServiceInstanceRepository,
    private readonly plugins: PluginRegistry,
    private readonly tenants: TenantDirectory,
    private readonly quotas: EntitlementQuotaSync,
    private readonly audit: AuditWriter,
    @Inject(PROVISIONING_CONFIG) private readonly config: ProvisioningConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, instanceId, entitlements: input }: ChangeEntitlementsCommand): Promise<ServiceInstanceView> {
    if (!isOperatorAdmin(principal)) throw Problems.forbidden('auth.forbidden', 'Only an operator admin may change a service\'s entitlements.');
    const { instance } = await this.access.require(this.tx.reader(), principal, instanceId, 'services:write');
    if (instance.tenantId !== tenantId) throw Problems.notFound('service.not_found', 'Service');
    if (instance.state === 'deprovisioned' || instance.state === 'deprovisioning' || instance.desiredState === 'deprovisioned') {
      throw new ProblemException(409, 'service.deprovisioned', 'Service removed', 'This service is removed or being removed.');
    }
    if (instance.state === 'failed') throw new ProblemException(409, 'service.failed', 'Service failed', `This service failed (${instance.failureReason}); delete it and request it again.`);
    const plugin = this.plugins.require(instance.pluginId);
    const keys = new Map((plugin.manifest.entitlementKeys ?? []).map((k) => [k.key, k]));
    const errors: FieldError[] = [];
    const next: Entitlements = { ...(instance.entitlements as Entitlements) };
    for (const [name, value] of Object.entries(input)) {
      const key = keys.get(name);
      if (!key) {
        errors.push({ field: `entitlements.${name}`, message: `is not an entitlement of ${plugin.id}${keys.size ? ` (${[...keys.keys()].join(', ')})` : ' (it declares none)'}` });
        continue;
      }
      if (value === null) {
        delete next[name];
        continue;
      }
      const problem = entitlementValueProblem(key, value);
      if (problem) errors.push({ field: `entitlements.${name}`, message: `${name} ${problem}` });
      else next[name] = value as Entitlements[string];
    }
    if (!Object.keys(input).length) errors.push({ field: 'entitlements', message: 'name at least one entitlement' });
    if (errors.length) throw Problems.validation(errors);

    // At the service first (while it exists there): a refusal leaves everything as it was.
    const provisioner = plugin.plugin.provisioner;
    if (provisioner && instance.externalId && ['active', 'suspended', 'suspending', 'resuming'].includes(instance.state)) {
      const now = this.clock.now();
      const tenant = await this.tenantInfo(instance.tenantId);
      await onRequestPath(plugin.id, () => provisioner.applyEntitlements(this.plugins.context(plugin.id, AbortSignal.timeout(this.config.stepTimeoutMs)), {
        instanceId: instance.id, tenant, mode: instance.mode,
        externalId: instance.externalId!, metadata: instance.metadata as Record<string, unknown>,
      }, next, { requestKey: `${instance.id}:entitlements:${uuidv7(now.getTime())}`, attempt: 1 }));
    }
    return this.tx.run(async (tx) => {
      const locked = await this.instances.lockById(tx, instance.id);
      if (!locked) throw Problems.notFound('service.not_found', 'Service');
      const previous = locked.entitlements as Entitlements;
      locked.entitlements = next;
      locked.updatedAt = this.clock.now();
      await this.instances.save(tx, locked);
      await this.quotas.apply(tx, locked.tenantId, plugin.manifest, next, previous);
      await this.audit.record(tx, { actor: actorOf(principal), action: 'service.entitlements_changed', tenantId: locked.tenantId, targetType: 'service', targetId: locked.id, data: { plugin: plugin.id, entitlements: input } });
      return toInstanceView(locked);
    });
  }

  private async tenantInfo(tenantId: string): Promise<{ id: string; name: string; slug: string }> {
    const t = await this.tenants.get(this.tx.reader(), tenantId);
    return { id: tenantId, name: t?.name ?? '', slug: t?.slug ?? '' };
  }
}

export const SERVICE_COMMAND_HANDLERS = [RequestServiceHandler, ChangeServiceStateHandler, RevealCredentialsHandler, RotateCredentialsHandler, ChangeEntitlementsHandler];

/**
 * Calls a plugin on the request path (not as a provisioning job, so without retries): a
 * retryable failure answers 503 `service.unavailable`, any other 502 `service.refused`.
 */
async function onRequestPath<T>(pluginId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw isRetryable(error)
      ? new ProblemException(503, 'service.unavailable', 'Service unavailable', `${pluginId} did not answer: ${describeError(error)}. Retry later.`)
      : new ProblemException(502, 'service.refused', 'Service refused', `${pluginId} refused: ${describeError(error)}`);
  }
}
