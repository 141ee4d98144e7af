import type { ServiceInstanceEntity, ServiceInstanceTransitionEntity } from '../infrastructure/persistence/service-instance.entity';

export interface TransitionView {
  from: string;
  to: string;
  at: string;
  reason: string | null;
  error: string | null;
  attempt: number | null;
}

export interface ServiceInstanceView {
  id: string;
  tenantId: string;
  plugin: string;
  mode: string;
  state: string;
  desiredState: string;
  failureReason: string | null;
  endpoints: Record<string, string>;
  options: Record<string, unknown>;
  /** what the tenant's plan allows on this instance (the plugin's entitlement keys) */
  entitlements: Record<string, unknown>;
  credentials: { available: boolean; revealedAt: string | null };
  createdAt: string;
  updatedAt: string;
  history?: TransitionView[];
}

export function toInstanceView(i: ServiceInstanceEntity, history?: ServiceInstanceTransitionEntity[]): ServiceInstanceView {
  return {
    id: i.id, tenantId: i.tenantId, plugin: i.pluginId, mode: i.mode, state: i.state, desiredState: i.desiredState,
    failureReason: i.failureReason, endpoints: i.endpoints as Record<string, string>, options: i.options as Record<string, unknown>,
    entitlements: { ...(i.entitlements as Record<string, unknown>) },
    credentials: { available: i.credentialsSealed !== null, revealedAt: i.credentialsRevealedAt ? new Date(i.credentialsRevealedAt).toISOString() : null },
    createdAt: new Date(i.createdAt).toISOString(), updatedAt: new Date(i.updatedAt).toISOString(),
    ...(history ? { history: history.map((h) => ({ from: h.fromState, to: h.toState, at: new Date(h.at).toISOString(), reason: h.reason, error: h.error, attempt: h.attempt })) } : {}),
  };
}
