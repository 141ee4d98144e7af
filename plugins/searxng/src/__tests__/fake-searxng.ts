// A fake SearXNG for the plugin's unit tests: what the plugin itself calls, on a real HTTP port.
// It follows SearXNG's webapp: `GET /healthz` answers `200 OK` as text/plain (searx/webapp.py,
// `health()`; the published search API, ../shared/specs/searxng/search_api.rst, does not cover
// it). Searches are not faked: the end-to-end suite runs the real searx (plugins/searxng/test).
// Built on the testkit's UpstreamStub, so a request to anything else is answered 599 and fails
// the test (verify()).
import { UpstreamStub } from '@werkbank/plugin-testkit';

export class FakeSearxng {
  private readonly stub = new UpstreamStub();
  private failing?: number;

  get url(): string {
    return this.stub.url;
  }

  get requests() {
    return this.stub.requests;
  }

  async start(): Promise<void> {
    await this.stub.start();
    this.routes();
  }

  /** healthy again, no requests recorded */
  reset(): void {
    this.stub.reset();
    this.failing = undefined;
    this.routes();
  }

  verify(): void {
    this.stub.verify();
  }

  close(): Promise<void> {
    return this.stub.close();
  }

  /** answers `/healthz` with `status` until reset() */
  failWith(status: number): void {
    this.failing = status;
  }

  private routes(): void {
    this.stub.expect(
      'GET',
      '/healthz',
      () => (this.failing ? { status: this.failing, body: 'Service Unavailable', headers: { 'content-type': 'text/plain' } } : { status: 200, body: 'OK', headers: { 'content-type': 'text/plain; charset=utf-8' } }),
      { times: 'any' },
    );
  }
}
