import { HttpException } from '@nestjs/common';

/** One entry per invalid field in a 400 response. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, with Werkbank's stable `code`. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:werkbank:problem:${code}`;
}

/**
 * The one exception type the application throws for client errors. `code` is part of the
 * public contract (documented in OpenAPI), `detail` tells the user what to do.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super({ code, title, detail }, httpStatus);
  }

  toProblem(instance?: string, requestId?: string): ProblemDocument {
    return {
      type: problemType(this.code),
      title: this.title,
      status: this.httpStatus,
      code: this.code,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(requestId ? { requestId } : {}),
      ...this.extensions,
    };
  }
}

export const Problems = {
  validation: (errors: FieldError[]) =>
    new ProblemException(400, 'request.validation_failed', 'The request is invalid',
      'One or more fields are missing or invalid; see `errors`.', { errors }),
  notFound: (code: string, what: string) =>
    new ProblemException(404, code, `${what} not found`, `No ${what.toLowerCase()} with this id is visible to you.`),
  forbidden: (code = 'auth.forbidden', detail = 'Your role does not allow this action.') =>
    new ProblemException(403, code, 'Forbidden', detail),
  unauthorized: (code = 'auth.unauthenticated', detail = 'Send a valid access token or API key as `Authorization: Bearer <token>`.') =>
    new ProblemException(401, code, 'Unauthorized', detail),
  conflict: (code: string, detail: string) => new ProblemException(409, code, 'Conflict', detail),
  /** 503 with `Retry-After` (see sendProblem): a dependency (the database) cannot be reached right now. */
  serviceUnavailable: (detail = 'The database cannot be reached right now; nothing was changed by this request unless its answer said so. Retry in a few seconds.') =>
    new ProblemException(503, 'service.unavailable', 'Service unavailable', detail),
};

/** Seconds a client should wait before retrying a 503 `service.unavailable`. */
export const RETRY_AFTER_SECONDS = 5;
