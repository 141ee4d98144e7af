import { startTestApp, TestApp } from '../support/test-app';

// A suite of its own: one Nest app per Jest worker (TypeORM's default data source is per process).
describe('login rate limit per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' });
  });
  afterAll(() => t.close());

  it('refuses the third attempt from one IP within the window, whatever the account', async () => {
    const statuses: number[] = [];
    for (const email of ['a@example.test', 'b@example.test', 'c@example.test']) {
      statuses.push((await t.http.post('/v1/auth/login').send({ email, password: 'wrong-password-x' })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
