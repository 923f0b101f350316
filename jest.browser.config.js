/**
 * Pages in a real browser (test/browser/**\/*.test.ts): `npm run test:browser`. Headless Debian Chromium
 * (/usr/bin/chromium, `apt-get install chromium`; .ci/run installs it) driven by playwright-core; never a
 * browser download. Screenshots go to test-artifacts/.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  globalSetup: '<rootDir>/test/browser/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 1,
};
