import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogDestination, createRootLogger, MetricsService, PinoNestLogger, ProblemDto, ProblemException, assertJsonDepth, routeBodyLimit, runWithRequestId, uuidv7, WerkbankConfig } from '@werkbank/kernel';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ApiModule, ApiModuleOptions } from './api.module';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Werkbank API')
    .setDescription(
      'Control plane of a Werkbank AI workspace cloud: tenants, users, authentication, API keys, audit, plugins, service instances, meters, usage and quotas.\n\n' +
      'Authenticate with `Authorization: Bearer <token>`: an access token from `POST /v1/auth/login` or an API key (`wbk_...`). ' +
      'Errors are RFC 9457 `application/problem+json` documents with a stable `code`. Lists are cursor-paginated (`cursor`, `limit`, `nextCursor`). ' +
      'POSTs that create something honour an `Idempotency-Key` header.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Access token (JWT) or API key (wbk_...)' })
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
}

export interface CreateAppOptions extends ApiModuleOptions {
  logger?: boolean;
  /** log lines go here instead of stdout (the testkit captures them) */
  logDestination?: LogDestination;
}

/** Creates the fully configured API application (also used by the e2e suites and the plugin testkit). */
export async function createApp(config: WerkbankConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const rootLogger = createRootLogger(config.logLevel, options.logDestination);
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger === false ? undefined : rootLogger.child({ component: 'http' }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: process.env.TRUST_PROXY === 'true',
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    },
  });
  // A route marked @BodyLimit() (bulk usage ingestion) gets its own Fastify bodyLimit, never below
  // BODY_LIMIT; Fastify enforces it for Content-Length and streamed bodies. Other routes keep BODY_LIMIT.
  adapter.getInstance().addHook('onRoute', (route) => {
    const limit = routeBodyLimit(route.config);
    if (limit) route.bodyLimit = Math.max(limit, config.bodyLimitBytes);
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, options), adapter, {
    logger: options.logger === false ? false : new PinoNestLogger(rootLogger),
    bufferLogs: false,
  });
  app.enableVersioning({ type: VersioningType.URI, prefix: 'v' });
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    runWithRequestId(String(request.id), done);
  });
  // The API speaks JSON only; anything else is refused before parsing.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const hasBody = request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0' || request.headers['transfer-encoding'] !== undefined;
    const type = request.headers['content-type'] ?? '';
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(request.method) && !/^application\/(.+\+)?json\b/i.test(type)) {
      done(new ProblemException(415, 'request.unsupported_media_type', 'Unsupported media type', 'Send the body as application/json.'));
      return;
    }
    done();
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    try {
      assertJsonDepth(request.body);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const document = buildOpenApi(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json', customSiteTitle: 'Werkbank API' });
  return app;
}
