// @werkbank/plugin-testkit: what a plugin author needs to test a plugin without the core.
// Import it only from test files (*.spec.ts, __tests__/): lint allows plugins nothing else.

// The plugin contract suite.
export { runPluginContractSuite } from './contract/plugin-contract-suite';
export type { PluginContractSuiteOptions } from './contract/contract-checks';

// A stub of the service's HTTP API that fails on anything it was not told to expect.
export {
  UpstreamStub,
  createUpstreamStub,
  useUpstreamStub,
  UNEXPECTED_REQUEST_STATUS,
  type RecordedRequest,
  type StubRequest,
  type StubReply,
  type StubResponder,
  type StubExpectation,
  type ExpectOptions,
} from './upstream-stub';

// What the host hands to a plugin call, with a collecting logger and a clock that stands still.
export { createPluginContext, TestLogger, type TestPluginContext, type PluginContextSettings, type LogLine, type LogLevel } from './plugin-context';
export { FakeClock, FAKE_CLOCK_START } from './fake-clock';
export { MemoryGatewayKeys, type RecordedGatewayKey } from './memory-gateway-keys';


// The real core in-process on real PostgreSQL and Redis, with the plugin loaded (à la Vendure's
// createTestEnvironment). Loaded lazily: a contract test that does not use it never loads Nest.
export type { TestEnvironment, TestEnvironmentOptions } from './environment/test-environment';

export async function createTestEnvironment(
  options?: import('./environment/test-environment').TestEnvironmentOptions,
): Promise<import('./environment/test-environment').TestEnvironment> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so contract tests never load Nest
  const loaded = require('./environment/test-environment') as typeof import('./environment/test-environment');
  return loaded.createTestEnvironment(options);
}
export { ADMIN_EMAIL, ADMIN_PASSWORD, MemoryMailer, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './environment/test-fixtures';
export { TravelClock } from './environment/test-clock';
export { createTestDatabase } from './environment/test-database';
