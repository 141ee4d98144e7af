import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ProblemException, Problems } from './problem';
import { toProblem } from './problem.filter';

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
});
