import {
  PermanentError,
  type Entitlements,
  type InspectResult,
  type InstanceRef,
  type PluginContext,
  type ProvisionRequest,
  type ProvisionResult,
  type RequestMeta,
  type ServiceProvisioner,
} from '@werkbank/plugin-sdk';
import { OllamaClient } from './ollama.client';
import { DEFAULT_MONTHLY_REQUEST_LIMIT, MONTHLY_REQUEST_LIMIT, type OllamaOptions } from './manifest';

type Ctx = PluginContext<OllamaOptions>;

/**
 * One project at the service per service instance. Every call is idempotent on the request
 * key: the service answers a repeated Idempotency-Key with its first answer, and "already in
 * that state" or "already gone" count as success.
 */
export class OllamaProvisioner implements ServiceProvisioner<OllamaOptions> {
  async provision(ctx: Ctx, request: ProvisionRequest): Promise<ProvisionResult> {
    const project = await new OllamaClient(ctx).createProject(
      { name: projectName(request.instanceId), tenant: request.tenant.slug, monthlyRequestLimit: monthlyRequestLimit(request.entitlements) },
      request.requestKey,
    );
    ctx.logger.info('project created', { projectId: project.id, instanceId: request.instanceId, attempt: request.attempt });
    return {
      externalId: project.id,
      endpoints: { api: project.apiUrl },
      // stored encrypted by the core and shown to the tenant once; never log it
      credentials: project.apiKey ? { apiKey: project.apiKey } : undefined,
      metadata: { projectName: project.name },
    };
  }

  async suspend(ctx: Ctx, ref: InstanceRef, meta: RequestMeta): Promise<void> {
    await new OllamaClient(ctx).setStatus(projectId(ref), 'suspend', meta.requestKey);
  }

  async resume(ctx: Ctx, ref: InstanceRef, meta: RequestMeta): Promise<void> {
    await new OllamaClient(ctx).setStatus(projectId(ref), 'resume', meta.requestKey);
  }

  async deprovision(ctx: Ctx, ref: InstanceRef, meta: RequestMeta): Promise<void> {
    // provisioning never completed: the service was never told about a project
    if (!ref.externalId) return;
    const deleted = await new OllamaClient(ctx).deleteProject(ref.externalId, meta.requestKey);
    ctx.logger.info(deleted ? 'project deleted' : 'project was already gone', { projectId: ref.externalId, instanceId: ref.instanceId });
  }

  async applyEntitlements(ctx: Ctx, ref: InstanceRef, entitlements: Entitlements, meta: RequestMeta): Promise<void> {
    await new OllamaClient(ctx).setLimits(projectId(ref), { monthlyRequestLimit: monthlyRequestLimit(entitlements) }, meta.requestKey);
  }

  async inspect(ctx: Ctx, ref: InstanceRef): Promise<InspectResult> {
    if (!ref.externalId) return { state: 'missing' };
    const project = await new OllamaClient(ctx).getProject(ref.externalId);
    return { state: project ? project.status : 'missing' };
  }
}

/** A name derived from the instance id: stable, unique, and recognisable at the service. */
function projectName(instanceId: string): string {
  return `wb-${instanceId}`;
}

function projectId(ref: InstanceRef): string {
  if (!ref.externalId) throw new PermanentError(`instance ${ref.instanceId} has no project at the service (provisioning never completed)`);
  return ref.externalId;
}

function monthlyRequestLimit(entitlements: Entitlements): number {
  const value = entitlements[MONTHLY_REQUEST_LIMIT] ?? DEFAULT_MONTHLY_REQUEST_LIMIT;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new PermanentError(`${MONTHLY_REQUEST_LIMIT} must be a whole number >= 0, got ${JSON.stringify(value)}`);
  }
  return value as number;
}
