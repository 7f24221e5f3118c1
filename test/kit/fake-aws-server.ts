/** The test suite uses the sandbox's stand-ins (src/sandbox/), so tests and sandbox share one implementation. */
export * from '../../src/sandbox/fake-aws-server';
