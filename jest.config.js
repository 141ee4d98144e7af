// `npm test` runs both projects; the e2e project needs the Postgres and Redis that
// test/jest.global-setup.mjs starts (see apps/cli/werkbank.mjs test).
const preset = require('./jest.preset');

module.exports = {
  // A global option (Jest ignores it inside a project): e2e suites boot servers and wait for queues.
  testTimeout: 60000,
  projects: [
    { ...preset, displayName: 'unit', testMatch: ['<rootDir>/{core,plugins,apps}/*/src/**/*.spec.ts'] },
    {
      ...preset,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{core,plugins,apps,test}/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/test/jest.global-setup.mjs',
      globalTeardown: '<rootDir>/test/jest.global-teardown.mjs',
    },
  ],
};
