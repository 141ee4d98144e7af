import { ProblemException } from '../problem/problem';

export const MAX_JSON_DEPTH = 32;

/** Depth of a parsed JSON value, without recursion (a hostile body cannot overflow the stack here). */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Refuses bodies nested deeper than any Werkbank route needs, before validation walks them. */
export function assertJsonDepth(body: unknown, limit = MAX_JSON_DEPTH): void {
  if (jsonDepth(body, limit) > limit) {
    throw new ProblemException(400, 'request.too_deep', 'Body nested too deeply', `JSON bodies may nest at most ${limit} levels.`);
  }
}
