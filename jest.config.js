/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/lambda'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testTimeout: 30000,
  setupFiles: ['<rootDir>/test/kit/jest-setup.ts'],
  // Suites start real servers and share one Redis; two workers fit the 2-core machine.
  maxWorkers: 2,
};
