/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/lambda'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testTimeout: 30000,
  setupFiles: ['<rootDir>/test/kit/jest-setup.ts'],
  // A private redis-server for the run unless TEST_REDIS_URL names one (test/kit/jest-global-setup.ts).
  globalSetup: '<rootDir>/test/kit/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/kit/jest-global-teardown.ts',
  // Suites start real servers and share one Redis (keys under random prefixes); two workers fit the 2-core machine.
  maxWorkers: 2,
};
