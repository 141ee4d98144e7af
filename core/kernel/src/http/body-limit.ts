import { RouteConfig } from '@nestjs/platform-fastify';

/**
 * A body limit of its own for one route, in bytes (e.g. bulk usage ingestion). The API applies it
 * to the Fastify route (`onRoute` in create-api), so Fastify enforces it for Content-Length and
 * streamed bodies alike; every other route keeps BODY_LIMIT.
 */
export const BodyLimit = (bytes: number): MethodDecorator => RouteConfig({ bodyLimit: bytes });

/** The limit `@BodyLimit()` put into a route's config, if any. */
export function routeBodyLimit(config: unknown): number | undefined {
  const limit = (config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
  return typeof limit === 'number' && Number.isInteger(limit) && limit > 0 ? limit : undefined;
}
