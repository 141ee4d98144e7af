// Isolated databases for e2e suites, on the server that test/jest.global-setup.mjs provides:
// the plugin testkit's helper, which the test environment uses too.
//
//   let db: { url: string; drop(): Promise<void> };
//   beforeAll(async () => { db = await createTestDatabase(); });   // then migrate db.url
//   afterAll(() => db.drop());
export { createTestDatabase } from '@werkbank/plugin-testkit';
