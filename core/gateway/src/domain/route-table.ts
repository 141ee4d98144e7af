import type { GatewayRoute } from '@werkbank/plugin-sdk';

/** One route of a plugin, compiled for matching. */
export interface CompiledRoute {
  route: GatewayRoute;
  /** the declared pattern, e.g. '/collections/:name/points/search' (also the metrics label) */
  pattern: string;
  /** literal segments, or null where the pattern has a `:param` */
  segments: Array<string | null>;
  names: string[];
}

export interface RouteMatch {
  compiled: CompiledRoute;
  params: Record<string, string>;
}

function split(path: string): string[] {
  const parts = path.split('/');
  // '/a/b/' and '/a/b' are the same route; '/' has no segments
  return parts.filter((part, i) => i > 0 && (part !== '' || i < parts.length - 1));
}

export function compileRoute(route: GatewayRoute): CompiledRoute {
  const names: string[] = [];
  const segments = split(route.path).map((segment) => {
    if (segment.startsWith(':')) {
      names.push(segment.slice(1));
      return null;
    }
    return segment;
  });
  return { route, pattern: route.path, segments, names };
}

/**
 * A plugin's routes in declaration order; the first whose method and path match wins.
 * `:param` matches one non-empty segment. Paths are compared as sent (not decoded), after
 * `unsafePath` refused anything an upstream could resolve to another path.
 */
export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly GatewayRoute[]) {
    this.routes = routes.map(compileRoute);
  }

  get size(): number {
    return this.routes.length;
  }

  match(method: string, path: string): RouteMatch | undefined {
    const segments = split(path);
    for (const compiled of this.routes) {
      if (compiled.route.method !== '*' && compiled.route.method !== method && !(method === 'HEAD' && compiled.route.method === 'GET')) continue;
      if (compiled.segments.length !== segments.length) continue;
      let ok = true;
      const params: Record<string, string> = {};
      let n = 0;
      for (let i = 0; i < segments.length; i++) {
        const literal = compiled.segments[i];
        if (literal === null) {
          if (segments[i] === '') {
            ok = false;
            break;
          }
          params[compiled.names[n++]] = decodeSegment(segments[i]);
        } else if (literal !== segments[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { compiled, params };
    }
    return undefined;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Whether a request path could mean something else to the upstream than to the route table:
 * dot segments (also percent-encoded), encoded slashes or backslashes, empty segments inside the
 * path. A tenant route must never become a way to an operator path.
 */
export function unsafePath(path: string): boolean {
  if (path.includes('\\') || /%(2f|5c|00)/i.test(path)) return true;
  const segments = path.split('/').slice(1);
  return segments.some((segment, i) => {
    if (segment === '' && i < segments.length - 1) return true;
    const decoded = segment.replace(/%2e/gi, '.');
    return decoded === '.' || decoded === '..';
  });
}
