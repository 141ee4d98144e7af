import { canTransition, INSTANCE_STATES, nextOperation, requestKey } from './instance-state';

describe('service instance state machine', () => {
  it('allows the documented lifecycle', () => {
    const path = ['requested', 'provisioning', 'active', 'suspending', 'suspended', 'resuming', 'active', 'deprovisioning', 'deprovisioned'] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i])).toBe(true);
  });

  it('never leaves deprovisioned, and leaves failed only by deprovisioning', () => {
    for (const to of INSTANCE_STATES) expect(canTransition('deprovisioned', to)).toBe(false);
    expect(INSTANCE_STATES.filter((to) => canTransition('failed', to))).toEqual(['deprovisioning']);
  });

  it('picks the next step towards the desired state', () => {
    expect(nextOperation('requested', 'active')).toBe('provision');
    expect(nextOperation('provisioning', 'suspended')).toBe('provision');
    expect(nextOperation('active', 'active')).toBeNull();
    expect(nextOperation('active', 'suspended')).toBe('suspend');
    expect(nextOperation('suspended', 'active')).toBe('resume');
    expect(nextOperation('suspended', 'suspended')).toBeNull();
    expect(nextOperation('failed', 'active')).toBeNull();
    expect(nextOperation('failed', 'deprovisioned')).toBe('deprovision');
    expect(nextOperation('deprovisioned', 'deprovisioned')).toBeNull();
  });

  it('gives each step one request key, whatever the attempt', () => {
    expect(requestKey('i1', 'provision', 1)).toBe('i1:provision:1');
    expect(requestKey('i1', 'provision', 2)).not.toBe(requestKey('i1', 'provision', 1));
  });
});
