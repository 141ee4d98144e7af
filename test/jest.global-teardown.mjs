// Jest globalTeardown of the e2e project: stops the PostgreSQL/Redis that
// test/jest.global-setup.mjs started (nothing when DATABASE_URL/REDIS_URL were given)
// and removes their temp dir.
import { stopTestServices } from './jest.global-setup.mjs';

export default async function globalTeardown() {
  await stopTestServices();
}
