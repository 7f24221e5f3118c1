/**
 * Dependency rules of the hexagon (run by `npm run lint:deps`, part of `npm test`):
 * the core imports no Slack, AWS or Redis package and nothing outside the core but the config
 * schema; views are pure (no I/O packages, no adapters).
 */
const IO_PACKAGES = '^(@slack/bolt|@slack/web-api|@slack/socket-mode|@aws-sdk|@smithy|ioredis|pino|prom-client|raw-body)';
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is plain TypeScript: no Slack, AWS, Redis, logging or metrics packages.',
      severity: 'error',
      from: { path: '^src/core' },
      to: { path: `node_modules/${IO_PACKAGES.slice(1)}` },
    },
    {
      name: 'core-depends-on-nothing-outside',
      comment: 'The core may import only itself and the config schema.',
      severity: 'error',
      from: { path: '^src/core' },
      to: { path: '^(src|commands|views)/', pathNot: ['^src/core', '^src/config/config-schema\\.ts$'] },
    },
    {
      name: 'views-are-pure',
      comment: 'Views are pure functions: only the core, other views and type-only Slack types.',
      severity: 'error',
      from: { path: '^views' },
      to: { path: ['^src/(?!core|slack/slack-ids)', '^commands/', `node_modules/${IO_PACKAGES.slice(1)}`] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(test|bench|dist|lambda)/' },
  },
};
