import { ProblemException } from '../problem/problem';

export const MAX_JSON_DEPTH = 32;

/**
 * Depth of a parsed JSON value, without recursion (a hostile body cannot overflow the stack here).
 * Only objects and arrays are stacked, with their depth beside them: no allocation per value.
 */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > max) {
      max = depth;
      if (max > limit) return max;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = node[key];
        if (child !== null && typeof child === 'object' && Object.prototype.hasOwnProperty.call(node, key)) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return max;
}

/** Refuses bodies nested deeper than any Werkbank route needs, before validation walks them. */
export function assertJsonDepth(body: unknown, limit = MAX_JSON_DEPTH): void {
  if (jsonDepth(body, limit) > limit) {
    throw new ProblemException(400, 'request.too_deep', 'Body nested too deeply', `JSON bodies may nest at most ${limit} levels.`);
  }
}
