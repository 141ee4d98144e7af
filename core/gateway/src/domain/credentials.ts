import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i;

/**
 * The tenant key a client presented: `Authorization: Bearer <key>`, an `api-key` header (what
 * Qdrant's clients send), or the password of HTTP Basic auth (browsers; a key sent as the user
 * name with an empty password counts too). `undefined` when there is none.
 */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const bearer = BEARER.exec(authorization);
    if (bearer) return bearer[1];
    const basic = BASIC.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      return password || user || undefined;
    }
  }
  const apiKey = headers['api-key'];
  const value = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  return value?.trim() || undefined;
}
