import {
  GatewayAccessProvisioner,
  RetryableError,
  type InstanceRef,
  type PluginContext,
  type ProvisionRequest,
  type ProvisionResult,
  type RequestMeta,
} from '@werkbank/plugin-sdk';
import { DEFAULT_DEPROVISION_GRACE_SECONDS, type QdrantOptions } from './manifest';
import { QdrantClient } from './qdrant.client';
import { RESERVED_METADATA_KEY } from './qdrant.gateway';
import { namespaceOf } from './qdrant.namespace';

type Ctx = PluginContext<QdrantOptions>;

/**
 * A Qdrant service instance is a namespace of collection names at the shared Qdrant plus the
 * instance's gateway key (issued, rotated and revoked as the SDK's GatewayAccessProvisioner
 * does): the gateway keeps the tenant inside the namespace. Nothing is created at Qdrant until
 * the tenant creates collections; suspension is the core refusing the key. The plugin declares
 * no entitlements: queries are paid per use, and quotas on its meters are metering's.
 *
 * Deprovisioning revokes the key at once and deletes the namespace's collections once they have
 * been marked for `deprovisionGraceSeconds`: the first attempt stamps each collection's metadata
 * with `werkbank_deprovisioned_at` (ctx.now()) and throws a RetryableError whose `retryAfterMs`
 * is the rest of the grace period, so the engine comes back when it is over. The stamp lives at
 * Qdrant, so a retry, a lost job re-queued by the reconciliation loop, a new generation after the
 * attempts ran out, or a worker restart all keep the original deadline; a collection that shows
 * up later is stamped (and kept) from the attempt that first sees it.
 */
export class QdrantProvisioner extends GatewayAccessProvisioner<QdrantOptions> {
  override async provision(ctx: Ctx, request: ProvisionRequest): Promise<ProvisionResult> {
    // fails with Qdrant's own words when the server or the operator's api-key does not work
    await new QdrantClient(ctx).collectionNames();
    const namespace = namespaceOf(request.tenant.slug, request.instanceId);
    const result = await super.provision(ctx, request);
    ctx.logger.info('qdrant namespace ready', { instanceId: request.instanceId, namespace });
    return { ...result, metadata: { ...result.metadata, namespace } };
  }

  protected override externalId(_ctx: Ctx, request: ProvisionRequest): string {
    return namespaceOf(request.tenant.slug, request.instanceId);
  }

  protected override endpoints(ctx: Ctx): Record<string, string> {
    return ctx.options.publicUrl ? { api: ctx.options.publicUrl } : {};
  }

  override async deprovision(ctx: Ctx, ref: InstanceRef, meta: RequestMeta): Promise<void> {
    // the tenant loses access at once; its data waits for the grace period
    await super.deprovision(ctx, ref, meta);
    const client = new QdrantClient(ctx);
    const namespace = namespaceOf(ref.tenant.slug, ref.instanceId);
    const graceMs = (ctx.options.deprovisionGraceSeconds ?? DEFAULT_DEPROVISION_GRACE_SECONDS) * 1000;
    const now = ctx.now();
    const names = (await client.collectionNames()).filter((name) => name.startsWith(namespace));
    let deleted = 0;
    let nextDeadline: number | undefined;
    for (const name of names) {
      const deadline = graceMs === 0 ? now.getTime() : await this.deadline(client, name, now, graceMs);
      if (deadline === undefined) continue; // gone meanwhile
      if (deadline <= now.getTime()) {
        if (await client.deleteCollection(name)) deleted += 1;
      } else {
        nextDeadline = Math.min(nextDeadline ?? deadline, deadline);
      }
    }
    if (nextDeadline !== undefined) {
      const waiting = names.length - deleted;
      ctx.logger.info('qdrant collections wait for the grace period', { instanceId: ref.instanceId, namespace, waiting, deleteAt: new Date(nextDeadline).toISOString(), attempt: meta.attempt });
      throw new RetryableError(
        `waiting for the grace period: ${waiting} collection(s) of namespace ${namespace} are deleted from ${new Date(nextDeadline).toISOString()} (deprovisionGraceSeconds)`,
        { retryAfterMs: nextDeadline - now.getTime() },
      );
    }
    ctx.logger.info('qdrant namespace deleted', { instanceId: ref.instanceId, namespace, collectionsDeleted: deleted });
  }

  /** When the collection may be deleted: its stamp plus the grace period; stamps it first when it has none. */
  private async deadline(client: QdrantClient, name: string, now: Date, graceMs: number): Promise<number | undefined> {
    const info = await client.collection(name);
    if (!info) return undefined;
    const stamped = Date.parse(String(info.config?.metadata?.[RESERVED_METADATA_KEY] ?? ''));
    if (!Number.isNaN(stamped)) return stamped + graceMs;
    if (!(await client.mergeMetadata(name, { [RESERVED_METADATA_KEY]: now.toISOString() }))) return undefined;
    return now.getTime() + graceMs;
  }
}
