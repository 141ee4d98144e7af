// The suite as a plugin author uses it: one call registers the tests (here for the in-memory
// sample plugin, whose service is reset before each test).
import { runPluginContractSuite } from '../contract/plugin-contract-suite';
import { sampleSuite, SampleService } from './sample-plugin';

runPluginContractSuite({ ...sampleSuite(new SampleService()), window: { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z') } });

describe('options given as a function', () => {
  const service = new SampleService();
  let baseUrl = 'not started';
  beforeAll(() => {
    baseUrl = 'http://started.invalid';
  });
  runPluginContractSuite({ ...sampleSuite(service), options: () => ({ baseUrl, adminToken: 'token-from-before-all' }) });
});
