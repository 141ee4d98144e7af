/** Lifecycle of a service instance (docs/plugins/authoring.md has the diagram). */
export const INSTANCE_STATES = [
  'requested', 'provisioning', 'active', 'suspending', 'suspended', 'resuming', 'deprovisioning', 'deprovisioned', 'failed',
] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** What the owner wants; the engine and the reconciliation loop drive `state` towards it. */
export type DesiredState = 'active' | 'suspended' | 'deprovisioned';

export type Operation = 'provision' | 'suspend' | 'resume' | 'deprovision';

const TRANSITIONS: Record<InstanceState, readonly InstanceState[]> = {
  requested: ['provisioning', 'deprovisioning', 'failed'],
  provisioning: ['active', 'failed', 'deprovisioning'],
  active: ['suspending', 'deprovisioning', 'provisioning', 'resuming'],
  suspending: ['suspended', 'failed', 'deprovisioning'],
  suspended: ['resuming', 'deprovisioning', 'provisioning', 'suspending'],
  resuming: ['active', 'failed', 'deprovisioning', 'suspending'],
  deprovisioning: ['deprovisioned', 'failed'],
  deprovisioned: [],
  failed: ['deprovisioning'],
};

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The state an operation moves through while it runs, and where it ends. */
export const OPERATION_STATES: Record<Operation, { running: InstanceState; done: InstanceState }> = {
  provision: { running: 'provisioning', done: 'active' },
  suspend: { running: 'suspending', done: 'suspended' },
  resume: { running: 'resuming', done: 'active' },
  deprovision: { running: 'deprovisioning', done: 'deprovisioned' },
};

/**
 * The next step towards the desired state, or null when there is nothing to do.
 * `hasResource`: provisioning created something at the service (an externalId is known).
 */
export function nextOperation(state: InstanceState, desired: DesiredState): Operation | null {
  if (desired === 'deprovisioned') return state === 'deprovisioned' ? null : 'deprovision';
  if (state === 'failed' || state === 'deprovisioned' || state === 'deprovisioning') return null;
  if (state === 'requested' || state === 'provisioning') return 'provision';
  if (desired === 'active') {
    if (state === 'suspended' || state === 'suspending' || state === 'resuming') return 'resume';
    return null;
  }
  if (state === 'active' || state === 'resuming' || state === 'suspending') return 'suspend';
  return null;
}

/** Transitional states: work is (or should be) queued for them. */
export function isTransitional(state: InstanceState): boolean {
  return ['requested', 'provisioning', 'suspending', 'resuming', 'deprovisioning'].includes(state);
}

/** The request key a plugin sees: stable across retries, crashes and re-queues of the same step. */
export function requestKey(instanceId: string, operation: Operation, generation: number): string {
  return `${instanceId}:${operation}:${generation}`;
}
