import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { from, lastValueFrom, Observable } from 'rxjs';
import { Principal } from '../auth/principal';
import { ProblemException } from '../problem/problem';
import { Clock, CLOCK } from '../time/clock';
import { SECRET_BOX, SecretBox } from '../crypto/secret-box';

/** Keys are honoured for at least this long; the worker prunes older ones. */
export const IDEMPOTENCY_RETENTION_HOURS = 48;

type BeginResult =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'conflict' }
  | { kind: 'in_progress' };

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on POST: the same key with the same body replays the first response;
 * with another body it answers 422 `idempotency.key_reused`. A failed request releases the
 * key so the client can retry it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined || !request.user) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || key.length > 255) {
      throw new ProblemException(400, 'idempotency.invalid_key', 'Invalid Idempotency-Key', 'Send 1 to 255 characters, e.g. a UUID.');
    }
    const scope = `${request.user.kind}:${request.user.id}`;
    const path = request.url.split('?')[0];
    const hash = createHash('sha256').update(`${request.method} ${path}\n${canonical(request.body ?? null)}`).digest('hex');
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.handle(scope, key, hash, request.method, path, reply, next));
  }

  private async handle(scope: string, key: string, hash: string, method: string, path: string, reply: FastifyReply, next: CallHandler): Promise<unknown> {
    const begun = await this.begin(scope, key, hash, method, path);
    if (begun.kind === 'conflict') {
      throw new ProblemException(422, 'idempotency.key_reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request; use a new key for a new request.');
    }
    if (begun.kind === 'in_progress') {
      throw new ProblemException(409, 'idempotency.in_progress', 'Request in progress', 'A request with this Idempotency-Key is still being processed; retry in a moment.');
    }
    if (begun.kind === 'replay') {
      void reply.status(begun.status).header('idempotent-replayed', 'true');
      return begun.body;
    }
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      // The status the answer goes out with: the route's @HttpCode, set before the handler ran, or
      // what the handler chose (e.g. 200 instead of 201 for something that existed already).
      const status = reply.statusCode;
      await this.dataSource.query(
        `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
        // Sealed: a first response may carry a secret shown once (an API key), which must not sit in clear text.
        [scope, key, status, JSON.stringify({ sealed: this.secrets.seal(JSON.stringify(body ?? null), `${scope}\n${key}`) })],
      );
      return body;
    } catch (error) {
      await this.dataSource.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND response_status IS NULL`, [scope, key]);
      throw error;
    }
  }

  private async begin(scope: string, key: string, hash: string, method: string, path: string): Promise<BeginResult> {
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_keys (scope, key, method, path, request_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING key`,
      [scope, key, method, path, hash, this.clock.now()],
    );
    if (inserted.length > 0) return { kind: 'new' };
    const [row] = (await this.dataSource.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    )) as Array<{ request_hash: string; response_status: number | null; response_body: unknown }>;
    if (!row) return this.begin(scope, key, hash, method, path);
    if (row.request_hash !== hash) return { kind: 'conflict' };
    if (row.response_status === null) return { kind: 'in_progress' };
    const sealed = (row.response_body as { sealed?: string } | null)?.sealed;
    return { kind: 'replay', status: row.response_status, body: sealed ? JSON.parse(this.secrets.open(sealed, `${scope}\n${key}`)) : null };
  }
}

export async function pruneIdempotencyKeys(dataSource: DataSource, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3600_000);
  const [, count] = (await dataSource.query(`DELETE FROM idempotency_keys WHERE created_at < $1`, [cutoff])) as [unknown, number];
  return count;
}

