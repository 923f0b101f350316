/**
 * Tests against real PostgreSQL and Redis (test/services/**\/*.test.ts): `npm run test:services`.
 * `npm test` (jest.config.js) ignores test/services and needs no server.
 *
 * maxWorkers 1 (in band): the CI machine has 2 cores, and these tests also run the service as child processes,
 * private redis-servers and the shared PostgreSQL on them; chaos tests measure failover and timeouts, which turn
 * flaky under CPU contention. Test files isolate their data (one database and one key prefix each), so
 * `npm run test:services -- --maxWorkers=2` works where there are cores to spare.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  // Type checking is a separate CI step (npm run typecheck); tests transpile only, as in jest.config.js.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/services/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 1,
};
