// A fake Searxng for the plugin's tests: the endpoints the plugin calls, in memory, on a
// real HTTP port. Built on the testkit's UpstreamStub, so a request to anything else is
// answered 599 and fails the test (verify()).
import { UpstreamStub, type StubReply, type StubRequest } from '@werkbank/plugin-testkit';
import { randomUUID } from 'node:crypto';

interface FakeProject {
  id: string;
  name: string;
  tenant: string;
  status: 'active' | 'suspended';
  apiKey: string;
  monthlyRequestLimit: number;
}

interface FakeUsageBucket {
  id: string;
  at: string;
  requests: number;
}

const PAGE_SIZE = 2;

export class FakeSearxng {
  readonly adminToken = 'fake-admin-token';
  private readonly stub = new UpstreamStub();
  private readonly projects = new Map<string, FakeProject>();
  /** Idempotency-Key -> the first answer, replayed for a repeated key */
  private readonly answered = new Map<string, StubReply>();
  private readonly usageBuckets = new Map<string, FakeUsageBucket[]>();
  private failing?: number;

  get url(): string {
    return this.stub.url;
  }

  /** every request the plugin sent (method, path, query, headers, parsed body) */
  get requests() {
    return this.stub.requests;
  }

  async start(): Promise<void> {
    await this.stub.start();
    this.routes();
  }

  /** back to empty and healthy */
  reset(): void {
    this.stub.reset();
    this.projects.clear();
    this.answered.clear();
    this.usageBuckets.clear();
    this.failing = undefined;
    this.routes();
  }

  /** throws when the plugin called an endpoint this fake does not serve */
  verify(): void {
    this.stub.verify();
  }

  close(): Promise<void> {
    return this.stub.close();
  }

  countResources(): number {
    return this.projects.size;
  }

  /** answers every request with `status` until reset() */
  failWith(status: number): void {
    this.failing = status;
  }

  /** requests the service counted for a project */
  addUsage(projectId: string, buckets: Array<{ at: Date | string; requests: number }>): void {
    const list = this.usageBuckets.get(projectId) ?? [];
    for (const bucket of buckets) list.push({ id: `b-${randomUUID()}`, at: new Date(bucket.at).toISOString(), requests: bucket.requests });
    this.usageBuckets.set(projectId, list);
  }

  private routes(): void {
    const serve = (method: string, path: string, handler: (req: StubRequest) => StubReply) =>
      this.stub.expect(method, path, (req) => this.guard(req, handler), { times: 'any' });

    serve('GET', '/health', () => ({ status: 200, body: { status: 'ok' } }));
    serve('POST', '/projects', (req) => {
      const input = req.body as { name?: unknown; tenant?: unknown; monthlyRequestLimit?: unknown };
      if (typeof input?.name !== 'string' || typeof input.tenant !== 'string') return { status: 422, body: { error: 'name and tenant are required' } };
      const project: FakeProject = {
        id: `p-${randomUUID()}`,
        name: input.name,
        tenant: input.tenant,
        status: 'active',
        apiKey: `key-${randomUUID()}`,
        monthlyRequestLimit: typeof input.monthlyRequestLimit === 'number' ? input.monthlyRequestLimit : 0,
      };
      this.projects.set(project.id, project);
      return { status: 201, body: view(project, this.url, true) };
    });
    serve('GET', '/projects/:id', (req) => this.withProject(req, (project) => ({ status: 200, body: view(project, this.url) })));
    for (const [action, status] of [['suspend', 'suspended'], ['resume', 'active']] as const) {
      serve('POST', `/projects/:id/${action}`, (req) =>
        this.withProject(req, (project) => {
          project.status = status;
          return { status: 200, body: view(project, this.url) };
        }),
      );
    }
    serve('PUT', '/projects/:id/limits', (req) =>
      this.withProject(req, (project) => {
        const limit = (req.body as { monthlyRequestLimit?: unknown })?.monthlyRequestLimit;
        if (!Number.isSafeInteger(limit)) return { status: 422, body: { error: 'monthlyRequestLimit must be an integer' } };
        project.monthlyRequestLimit = limit as number;
        return { status: 200, body: view(project, this.url) };
      }),
    );
    serve('DELETE', '/projects/:id', (req) =>
      this.withProject(req, (project) => {
        this.projects.delete(project.id);
        return { status: 200, body: { deleted: true } };
      }),
    );
    serve('GET', '/projects/:id/usage', (req) =>
      this.withProject(req, (project) => {
        const from = Date.parse(req.query.from ?? '');
        const to = Date.parse(req.query.to ?? '');
        if (Number.isNaN(from) || Number.isNaN(to)) return { status: 400, body: { error: 'from and to are required' } };
        const inWindow = (this.usageBuckets.get(project.id) ?? []).filter((b) => Date.parse(b.at) >= from && Date.parse(b.at) < to);
        const start = Number(req.query.cursor ?? 0);
        const next = start + PAGE_SIZE < inWindow.length ? String(start + PAGE_SIZE) : null;
        return { status: 200, body: { items: inWindow.slice(start, start + PAGE_SIZE), next } };
      }),
    );
  }

  /** failures on demand, the admin token, and Idempotency-Key replay: what every endpoint shares */
  private guard(req: StubRequest, handler: (req: StubRequest) => StubReply): StubReply {
    if (this.failing) return { status: this.failing, body: { error: `failing on purpose with ${this.failing}` } };
    if (req.headers.authorization !== `Bearer ${this.adminToken}`) return { status: 401, body: { error: 'invalid admin token' } };
    const key = req.headers['idempotency-key'];
    if (key === undefined) return handler(req);
    const scoped = `${req.method} ${req.path} ${key}`;
    const earlier = this.answered.get(scoped);
    if (earlier) return earlier;
    const answer = handler(req);
    if (answer.status < 500) this.answered.set(scoped, answer);
    return answer;
  }

  private withProject(req: StubRequest, handler: (project: FakeProject) => StubReply): StubReply {
    const project = this.projects.get(req.params.id);
    return project ? handler(project) : { status: 404, body: { error: `project ${req.params.id} not found` } };
  }
}

function view(project: FakeProject, baseUrl: string, withKey = false) {
  const { apiKey, ...rest } = project;
  return { ...rest, apiUrl: `${baseUrl}/p/${project.id}`, ...(withKey ? { apiKey } : {}) };
}
