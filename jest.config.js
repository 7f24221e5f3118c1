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
  // `npm run coverage`: every source file counts, so a file no test loads shows up at 0 %. Code the
  // e2e tests run in a child process (spawned bots, the built Lambda bundle) is not measured.
  collectCoverageFrom: ['src/**/*.ts', 'commands/**/*.ts', 'views/**/*.ts', 'bin/**/*.ts', 'lambda/dag-trigger/src/**/*.ts'],
};
