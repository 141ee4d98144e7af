import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemDocument, ProblemException, Problems, problemType, RETRY_AFTER_SECONDS } from './problem';

const STATUS_CODES: Record<number, [string, string]> = {
  400: ['request.bad_request', 'Bad request'],
  401: ['auth.unauthenticated', 'Unauthorized'],
  403: ['auth.forbidden', 'Forbidden'],
  404: ['route.not_found', 'Not found'],
  405: ['request.method_not_allowed', 'Method not allowed'],
  406: ['request.not_acceptable', 'Not acceptable'],
  409: ['request.conflict', 'Conflict'],
  413: ['request.body_too_large', 'Request body too large'],
  415: ['request.unsupported_media_type', 'Unsupported media type'],
  422: ['request.unprocessable', 'Unprocessable request'],
  429: ['request.rate_limited', 'Too many requests'],
};

/** Fastify's own errors (body parsing, limits) mapped to stable codes with advice. */
const FASTIFY_CODES: Record<string, { status: number; code: string; title: string; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'request.malformed_json', title: 'Malformed JSON', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'request.malformed_json', title: 'Malformed JSON', detail: 'The request declares JSON but the body is empty.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'request.body_too_large', title: 'Request body too large', detail: 'Send a smaller body; see the route documentation for its limit.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'request.unsupported_media_type', title: 'Unsupported media type', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'request.bad_request', title: 'Bad request', detail: 'Content-Length does not match the body.' },
};

/**
 * PostgreSQL (or the way to it) is unavailable: connection refused or reset, the server shutting
 * down (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), a connection
 * exception (class 08), too many connections (53300), or the pool giving up waiting for a connection.
 */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);
/** What pg and pg-pool say when a connection is lost or cannot be had (they give these errors no code). */
const UNAVAILABLE_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    const next = current as { driverError?: unknown; cause?: unknown };
    current = next.driverError ?? next.cause;
  }
  return false;
}

interface ErrorWithCode {
  code?: string;
  statusCode?: number;
  message?: string;
}

/** Turns any error into an RFC 9457 document. Unknown errors become a 500 without internals. */
export function toProblem(error: unknown, instance: string, requestId?: string): ProblemDocument {
  if (error instanceof ProblemException) return error.toProblem(instance, requestId);
  // Nest wraps Fastify's own errors (body parser, limits) in an HttpException with the original as cause.
  const inner = error instanceof HttpException && error.cause ? error.cause : error;
  const fastify = FASTIFY_CODES[(inner as ErrorWithCode)?.code ?? ''];
  if (fastify) {
    return { type: problemType(fastify.code), title: fastify.title, status: fastify.status, code: fastify.code, detail: fastify.detail, instance, requestId };
  }
  if (isDatabaseUnavailable(inner)) return Problems.serviceUnavailable().toProblem(instance, requestId);
  // PostgreSQL refusing a value the validators let through (NUL bytes, malformed text, a lost race on a unique key).
  const pgCode = (inner as { driverError?: { code?: string } })?.driverError?.code;
  if (pgCode === '22021' || pgCode === '22P05' || pgCode === '22P02' || pgCode === '22001') {
    return { type: problemType('request.invalid_value'), title: 'Invalid value', status: 400, code: 'request.invalid_value', detail: 'A value contains characters or a format that cannot be stored (e.g. a NUL byte). Remove them and retry.', instance, requestId };
  }
  if (pgCode === '23505') {
    return { type: problemType('request.conflict'), title: 'Conflict', status: 409, code: 'request.conflict', detail: 'A concurrent request created the same thing; reload and retry.', instance, requestId };
  }
  if (inner instanceof SyntaxError) {
    return { type: problemType('request.malformed_json'), title: 'Malformed JSON', status: 400, code: 'request.malformed_json', detail: 'The request body is not valid JSON.', instance, requestId };
  }
  const status = error instanceof HttpException ? error.getStatus() : (error as ErrorWithCode)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, title] = STATUS_CODES[status] ?? [`http.${status}`, 'Client error'];
    const detail = error instanceof HttpException ? describe(error) : undefined;
    return { type: problemType(code), title, status, code, ...(detail ? { detail } : {}), instance, requestId };
  }
  return { type: problemType('internal.error'), title: 'Internal server error', status: 500, code: 'internal.error', detail: 'Something went wrong on our side; it has been logged. Retry later or contact the operator with the request id.', instance, requestId };
}

function describe(error: HttpException): string | undefined {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

export function sendProblem(reply: FastifyReply, problem: ProblemDocument): void {
  if (problem.status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const problem = toProblem(error, request.url, String(request.id));
    if (problem.code === 'service.unavailable') {
      this.logger.warn({ msg: 'database unavailable', requestId: request.id, err: error instanceof Error ? error.message : String(error) });
    } else if (problem.status >= 500) {
      this.logger.error({ msg: 'unhandled error', requestId: request.id, err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
    }
    sendProblem(reply, problem);
  }
}
