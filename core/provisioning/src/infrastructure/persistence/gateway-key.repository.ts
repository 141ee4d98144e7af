import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';
import type { InstanceState } from '../../domain/instance-state';

export interface GatewayKeyBinding {
  instanceId: string;
  apiKeyId: string;
  pluginId: string;
}

/** A gateway key's instance, as the gateway needs it for every request (cached there). */
export interface BoundInstance {
  instanceId: string;
  pluginId: string;
  state: InstanceState;
  entitlements: Record<string, unknown>;
}

@Injectable()
export class GatewayKeyRepository {
  async lockByInstance(tx: Tx, instanceId: string): Promise<GatewayKeyBinding | null> {
    const rows: Array<{ instance_id: string; api_key_id: string; plugin_id: string }> = await entityManagerOf(tx).query(
      `SELECT instance_id, api_key_id, plugin_id FROM service_gateway_keys WHERE instance_id = $1 FOR UPDATE`, [instanceId]);
    return rows[0] ? { instanceId: rows[0].instance_id, apiKeyId: rows[0].api_key_id, pluginId: rows[0].plugin_id } : null;
  }

  async upsert(tx: Tx, binding: GatewayKeyBinding, at: Date): Promise<void> {
    await entityManagerOf(tx).query(
      `INSERT INTO service_gateway_keys (instance_id, api_key_id, plugin_id, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (instance_id) DO UPDATE SET api_key_id = EXCLUDED.api_key_id, plugin_id = EXCLUDED.plugin_id, created_at = EXCLUDED.created_at`,
      [binding.instanceId, binding.apiKeyId, binding.pluginId, at]);
  }

  async delete(tx: Tx, instanceId: string): Promise<void> {
    await entityManagerOf(tx).query(`DELETE FROM service_gateway_keys WHERE instance_id = $1`, [instanceId]);
  }

  async instanceOfKey(tx: Tx, apiKeyId: string): Promise<BoundInstance | null> {
    const rows: Array<{ id: string; plugin_id: string; state: InstanceState; entitlements: Record<string, unknown> }> = await entityManagerOf(tx).query(
      `SELECT i.id, i.plugin_id, i.state, i.entitlements FROM service_gateway_keys k JOIN service_instances i ON i.id = k.instance_id WHERE k.api_key_id = $1`,
      [apiKeyId]);
    const r = rows[0];
    return r ? { instanceId: r.id, pluginId: r.plugin_id, state: r.state, entitlements: r.entitlements ?? {} } : null;
  }
}
