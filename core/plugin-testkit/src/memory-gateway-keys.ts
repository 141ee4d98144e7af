import type { GatewayKeyIssuer, IssuedGatewayKey } from '@werkbank/plugin-sdk';
import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A key shaped like the core's (`wbk_` + 39 base62 characters); its checksum is not the core's, so no real gateway accepts it. */
function testKey(): string {
  return `wbk_${[...randomBytes(39)].map((b) => BASE62[b % 62]).join('')}`;
}

export interface RecordedGatewayKey extends IssuedGatewayKey {
  instanceId: string;
  tenantId: string;
  /** set when issuing again or `revoke` revoked it */
  revoked: boolean;
}

/**
 * `ctx.gatewayKeys` as the core behaves, in memory: one valid key per instance (issuing again
 * revokes the earlier one), scope `gateway:<pluginId>`. A test reads `issued` and `current()`.
 */
export class MemoryGatewayKeys implements GatewayKeyIssuer {
  /** every key issued, in order, with whether it was revoked since */
  readonly issued: RecordedGatewayKey[] = [];

  constructor(private readonly pluginId: string) {}

  async issue(ref: { instanceId: string; tenantId: string }): Promise<IssuedGatewayKey> {
    if (!ref?.instanceId || !ref.tenantId) throw new Error('gatewayKeys.issue needs { instanceId, tenantId }');
    await this.revoke(ref.instanceId);
    const key: RecordedGatewayKey = { keyId: randomUUID(), key: testKey(), scope: `gateway:${this.pluginId}`, instanceId: ref.instanceId, tenantId: ref.tenantId, revoked: false };
    this.issued.push(key);
    return { keyId: key.keyId, key: key.key, scope: key.scope };
  }

  async revoke(instanceId: string): Promise<void> {
    for (const k of this.issued) if (k.instanceId === instanceId) k.revoked = true;
  }

  /** the instance's valid key, if any */
  current(instanceId: string): RecordedGatewayKey | undefined {
    return this.issued.find((k) => k.instanceId === instanceId && !k.revoked);
  }

  /** keys revoked so far */
  get revoked(): RecordedGatewayKey[] {
    return this.issued.filter((k) => k.revoked);
  }
}
