import { createUpstreamStub, UNEXPECTED_REQUEST_STATUS, UpstreamStub, useUpstreamStub } from '../upstream-stub';

const json = async (res: Response) => ({ status: res.status, body: res.status === 204 ? undefined : await res.json() });

describe('UpstreamStub', () => {
  let stub: UpstreamStub;
  beforeEach(async () => {
    stub = await createUpstreamStub();
  });
  afterEach(async () => {
    await stub.close();
  });

  it('answers an expected request and records it with its parsed JSON body', async () => {
    const call = stub.expect('POST', '/projects', { status: 201, body: { id: 'p-1' }, headers: { 'x-request-id': 'r1' } });
    const res = await fetch(`${stub.url}/projects?dry=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: JSON.stringify({ name: 'a' }) });
    expect(res.headers.get('x-request-id')).toBe('r1');
    expect(await json(res)).toEqual({ status: 201, body: { id: 'p-1' } });
    expect(call.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/projects', query: { dry: '1' }, body: { name: 'a' }, headers: expect.objectContaining({ 'idempotency-key': 'k1' }) })]);
    expect(() => stub.verify()).not.toThrow();
  });

  it('answers a request nobody expected with 599, records it, and verify() lists it', async () => {
    const res = await fetch(`${stub.url}/admin/reset`, { method: 'DELETE' });
    expect(res.status).toBe(UNEXPECTED_REQUEST_STATUS);
    expect(stub.unexpected).toEqual([expect.objectContaining({ method: 'DELETE', path: '/admin/reset' })]);
    expect(() => stub.verify()).toThrow(/unexpected request: DELETE \/admin\/reset/);
  });

  it('counts: an expectation used up answers no more, and verify() reports expectations not met', async () => {
    stub.expect('GET', '/health', { status: 200, body: { ok: true } }, { times: 2 });
    stub.expect('GET', '/version', { status: 200, body: '1.0' });
    expect((await fetch(`${stub.url}/health`)).status).toBe(200);
    expect((await fetch(`${stub.url}/health`)).status).toBe(200);
    expect((await fetch(`${stub.url}/health`)).status).toBe(UNEXPECTED_REQUEST_STATUS);
    expect(() => stub.verify()).toThrow(/unexpected request: GET \/health[\s\S]*expected GET \/version 1 time\(s\), received 0/);
  });

  it("accepts any number of calls with times: 'any', also none", async () => {
    stub.expect('GET', '/health', { status: 204 }, { times: 'any' });
    expect(() => stub.verify()).not.toThrow();
    for (let i = 0; i < 3; i++) expect((await fetch(`${stub.url}/health`)).status).toBe(204);
    expect(() => stub.verify()).not.toThrow();
  });

  it('matches :name segments and RegExp paths, and passes their values to a reply function', async () => {
    stub.expect('GET', '/projects/:id/usage', (req) => ({ status: 200, body: { id: req.params.id, from: req.query.from } }));
    stub.expect('*', /^\/files\/(?<name>.+)$/, async (req) => ({ status: 200, body: { name: req.params.name, method: req.method } }));
    expect(await json(await fetch(`${stub.url}/projects/p%201/usage?from=2026`))).toEqual({ status: 200, body: { id: 'p 1', from: '2026' } });
    expect(await json(await fetch(`${stub.url}/files/a/b.txt`, { method: 'PUT', body: 'raw' }))).toEqual({ status: 200, body: { name: 'a/b.txt', method: 'PUT' } });
    expect(stub.requests[1].body).toBe('raw');
  });

  it('answers 500 when a reply function throws, and verify() reports it', async () => {
    stub.expect('GET', '/boom', () => {
      throw new Error('bug in the fake');
    });
    expect((await fetch(`${stub.url}/boom`)).status).toBe(500);
    expect(() => stub.verify()).toThrow(/reply function failed for GET \/boom: bug in the fake/);
  });

  it('forgets expectations and requests on reset()', async () => {
    stub.expect('GET', '/a', { status: 200 });
    await fetch(`${stub.url}/b`);
    stub.reset();
    expect(() => stub.verify()).not.toThrow();
    expect((await fetch(`${stub.url}/a`)).status).toBe(UNEXPECTED_REQUEST_STATUS);
  });

  it('refuses times below 1', () => {
    expect(() => stub.expect('GET', '/', { status: 200 }, { times: 0 })).toThrow(RangeError);
  });
});

describe('useUpstreamStub', () => {
  const upstream = useUpstreamStub();

  it('is started before the tests', async () => {
    upstream.expect('GET', '/ping', { status: 200, body: 'pong' });
    const res = await fetch(`${upstream.url}/ping`);
    expect(await res.text()).toBe('pong');
  });

  it('is reset after each test (the last test expected /ping once; it is gone now)', async () => {
    expect(upstream.requests).toEqual([]);
    upstream.expect('GET', '/ping', { status: 200 }, { times: 'any' });
  });
});

describe('an UpstreamStub that is not started', () => {
  it('says so when its url is read', () => {
    expect(() => new UpstreamStub().url).toThrow(/not started/);
  });
});
