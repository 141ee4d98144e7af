import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { createServer } from 'node:net';
import { Client, DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { ProblemException, Problems } from './problem';
import { sendProblem, toProblem } from './problem.filter';

describe('toProblem', () => {
  it('keeps code, status, detail and field errors of a ProblemException', () => {
    const doc = toProblem(Problems.validation([{ field: 'name', message: 'name is required' }]), '/v1/tenants', 'req-1');
    expect(doc).toEqual({
      type: 'urn:werkbank:problem:request.validation_failed', title: 'The request is invalid', status: 400, code: 'request.validation_failed',
      detail: expect.any(String), instance: '/v1/tenants', requestId: 'req-1', errors: [{ field: 'name', message: 'name is required' }],
    });
  });

  it('maps Fastify body errors wrapped by Nest to stable codes', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(toProblem(new HttpException('too large', 413, { cause: tooLarge }), '/x').code).toBe('request.body_too_large');
    const badJson = Object.assign(new Error('bad'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    expect(toProblem(new HttpException('bad', 400, { cause: badJson }), '/x').code).toBe('request.malformed_json');
  });

  it('gives plain HTTP exceptions a code from their status', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'), '/nope')).toMatchObject({ status: 404, code: 'route.not_found', detail: 'Cannot GET /nope' });
    expect(toProblem(new BadRequestException(), '/x').code).toBe('request.bad_request');
  });

  it('hides the internals of unexpected errors behind a 500', () => {
    const doc = toProblem(new Error('password=hunter2 in SQL'), '/x');
    expect(doc).toMatchObject({ status: 500, code: 'internal.error' });
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });

  it('answers 400 for values PostgreSQL cannot store and 409 for a lost unique race, not 500', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { driverError: { code: '22021' } });
    expect(toProblem(nul, '/x')).toMatchObject({ status: 400, code: 'request.invalid_value' });
    const dup = Object.assign(new Error('duplicate key value violates unique constraint'), { driverError: { code: '23505' } });
    expect(toProblem(dup, '/x')).toMatchObject({ status: 409, code: 'request.conflict' });
  });

  it('uses the status of a custom problem', () => {
    expect(toProblem(new ProblemException(409, 'tenant.invalid_transition', 'No', 'Nope'), '/x')).toMatchObject({ status: 409, code: 'tenant.invalid_transition' });
  });

  describe('while PostgreSQL cannot be reached', () => {
    const unavailable = { status: 503, code: 'service.unavailable', type: 'urn:werkbank:problem:service.unavailable' };

    it('a refused connection (a real one, from pg) answers 503 service.unavailable, also wrapped by TypeORM', async () => {
      // a port nobody listens on: bound once, then closed
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = server.address() as { port: number };
          server.close(() => resolve(free));
        });
      });
      const refused = await new Client({ host: '127.0.0.1', port, connectionTimeoutMillis: 2000 }).connect().then(() => null, (e: unknown) => e);
      expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
      expect(toProblem(refused, '/x')).toMatchObject(unavailable);
      expect(toProblem(new QueryFailedError('SELECT 1', [], refused as Error), '/x')).toMatchObject(unavailable);
    });

    test.each(['57P01', '57P02', '57P03', '08006', '53300'])('PostgreSQL error %s (shutdown, connection failure, too many connections) answers 503', (code) => {
      const error = Object.assign(new DatabaseError('terminating connection due to administrator command', 0, 'error'), { code });
      expect(toProblem(new QueryFailedError('SELECT 1', [], error), '/x')).toMatchObject(unavailable);
    });

    test.each(['Connection terminated unexpectedly', 'timeout exceeded when trying to connect', 'Connection terminated due to connection timeout'])(
      'pg\'s "%s" answers 503', (message) => {
        expect(toProblem(new QueryFailedError('SELECT 1', [], new Error(message)), '/x')).toMatchObject(unavailable);
        expect(toProblem(new Error(message), '/x')).toMatchObject(unavailable);
      });

    it('other database errors keep their answers', () => {
      const syntax = Object.assign(new DatabaseError('syntax error', 0, 'error'), { code: '42601' });
      expect(toProblem(new QueryFailedError('SELEC 1', [], syntax), '/x')).toMatchObject({ status: 500, code: 'internal.error' });
      expect(toProblem(new Error('Connection to the mail server terminated'), '/x')).toMatchObject({ status: 500 });
    });

    it('the 503 goes out as problem+json with Retry-After', () => {
      const headers: Record<string, string> = {};
      let status = 0;
      let body = '';
      const reply = {
        hasHeader: (name: string) => name in headers,
        header(name: string, value: string) { headers[name] = value; return this; },
        status(code: number) { status = code; return this; },
        send(payload: string) { body = payload; return this; },
      };
      sendProblem(reply as never, toProblem(new Error('Connection terminated unexpectedly'), '/v1/usage/events', 'req-9'));
      expect({ status, headers, body: JSON.parse(body) }).toEqual({
        status: 503, headers: { 'retry-after': '5', 'content-type': 'application/problem+json' },
        body: { ...unavailable, title: 'Service unavailable', detail: expect.any(String), instance: '/v1/usage/events', requestId: 'req-9' },
      });
    });
  });
});
