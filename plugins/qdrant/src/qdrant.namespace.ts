/**
 * A tenant's collections live at the shared Qdrant as `<namespace><name>`. The namespace is
 * derived from the tenant's slug and the service instance (`t-0123456789ab_0123456789ab__`):
 * every instance has its own, so a service deleted while the tenant already has a new one never
 * touches the new one's collections, and two namespaces never share a prefix (same length,
 * different characters), so no tenant name can reach into another namespace.
 */
export const NAMESPACE_SEPARATOR = '__';

/** Qdrant's own limit on a collection (or alias) name, in characters. */
export const MAX_UPSTREAM_NAME_LENGTH = 255;

/** Characters Qdrant refuses in collection names (they become file names), plus control characters. */
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f]/;

/** Any namespace of this plugin: hidden from error messages when it is not the caller's. */
const ANY_NAMESPACE = /[a-z0-9-]{1,63}_[0-9a-f]{12}__[^\s`'"]*/g;

export function namespaceOf(slug: string, instanceId: string): string {
  const hex = instanceId.replace(/-/g, '').toLowerCase();
  return `${slug}_${hex.slice(-12)}${NAMESPACE_SEPARATOR}`;
}

/** Why a tenant's collection or alias name cannot be used, or undefined when it can. */
export function nameProblem(name: string, namespace: string): string | undefined {
  if (name.length === 0) return 'a collection name must not be empty';
  const max = MAX_UPSTREAM_NAME_LENGTH - namespace.length;
  if (name.length > max) return `a collection name may have at most ${max} characters`;
  if (FORBIDDEN.test(name)) return 'a collection name must not contain < > : " / \\ | ? * or control characters';
  return undefined;
}

export function toUpstream(namespace: string, name: string): string {
  return `${namespace}${name}`;
}

/** The tenant's own name of an upstream collection, or undefined when it is not in the namespace. */
export function fromUpstream(namespace: string, upstream: string): string | undefined {
  if (!upstream.startsWith(namespace) || upstream.length === namespace.length) return undefined;
  return upstream.slice(namespace.length);
}

/** An error message of Qdrant as the tenant may read it: its own names, nobody else's. */
export function scrubMessage(message: string, namespace: string): string {
  return message.split(namespace).join('').replace(ANY_NAMESPACE, '<hidden>');
}
