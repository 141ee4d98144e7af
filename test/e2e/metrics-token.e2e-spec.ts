import { startTestApp, TestApp } from '../support/test-app';

const METRICS_TOKEN = 'scrape-secret-0123456789abcdef';

// A suite of its own: METRICS_TOKEN is read when the app starts (one app per file).
describe('GET /metrics with METRICS_TOKEN set', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN });
  });
  afterAll(() => t?.close());

  it.each([
    ['no Authorization header', undefined],
    ['a wrong bearer token', 'Bearer wrong-token'],
    ['the token with one character more', `Bearer ${METRICS_TOKEN}x`],
    ['the token as a prefix', `Bearer ${METRICS_TOKEN.slice(0, -1)}`],
    ['the token without the Bearer scheme', METRICS_TOKEN],
    ['the token in another scheme', `Basic ${METRICS_TOKEN}`],
  ])('answers 401 problem+json for %s', async (_name, authorization) => {
    const req = t.http.get('/metrics');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('metrics.unauthorized');
    expect(res.text).not.toContain('werkbank_http_request_duration_seconds');
  });

  it('does not accept a user\'s access token instead of the metrics token', async () => {
    const res = await t.http.get('/metrics').set(t.auth(await t.adminToken()));
    expect(res.status).toBe(401);
  });

  it('answers 200 with Prometheus text for the right bearer token', async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('werkbank_http_request_duration_seconds');
  });

  it('leaves the health endpoints public', async () => {
    await t.http.get('/health/live').expect(200);
    await t.http.get('/health/ready').expect(200);
  });
});
