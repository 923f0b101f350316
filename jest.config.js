/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/services needs real PostgreSQL and Redis: `npm run test:services` (jest.services.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/services/'],
  // Type checking is a separate CI step (npm run typecheck); tests transpile only, for speed.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
};
