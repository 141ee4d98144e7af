import type { PathSegment } from './secrets';

/** `['upstreams', 0, 'url']` -> `options.upstreams[0].url` (JavaScript-style, as operators read it). */
export function formatFieldPath(root: string, segments: readonly PathSegment[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    return /^[A-Za-z_$][\w$]*$/.test(segment) ? `${path}.${segment}` : `${path}[${JSON.stringify(segment)}]`;
  }, root);
}

/** An ajv `instancePath` (JSON Pointer, `/upstreams/0/url`) as path segments. */
export function parseJsonPointer(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}
