/**
 * The layer rules, run by `npm run lint:deps` (part of `npm test`). Imports point one way:
 *
 *   core  ←  plumbing (config, observability, store, aws, slack, http, jobs) and views
 *         ←  features (deployments, training, pipeline-events, outbox, watchdog, home, endpoints, charts, bake, drift…)
 *         ←  commands/ (one file per /mlops subcommand)
 *         ←  the composition root (src/main.ts → src/create-bot.ts → src/register-listeners.ts)
 *
 * A feature meets another feature only through its `index.ts`; no folder imports, however
 * indirectly, a folder that imports it: module cycles are caught by `no-circular` below, folder
 * cycles (two folders using each other through different files) by scripts/check-folder-cycles.cjs,
 * which also runs in `npm run lint:deps` (dependency-cruiser's folder-scoped rules cannot leave
 * type-only imports out).
 * test/unit/dependency-rules.test.ts runs these rules on small fixtures so that a rule that stops
 * matching (a renamed folder, a regex typo) fails a test instead of passing silently.
 */
const IO_PACKAGES = '(@slack/bolt|@slack/web-api|@slack/socket-mode|@aws-sdk|@smithy|ioredis|pino|prom-client|raw-body)';
// One folder per capability; those added later (bake, drift, approvals…) go here too.
const FEATURES = '(deployments|training|pipeline-events|outbox|watchdog|home|endpoints|charts|bake|shadow|drift|schedules|lineage|approvals)';
const PLUMBING = '(config|observability|store|aws|slack|http|jobs)';
const COMPOSITION_ROOT = '^src/(main|create-bot|register-listeners)\\.ts$';
/** Every folder of src/ in one of the layers above (a new folder is added to FEATURES or PLUMBING). */
const KNOWN_FOLDERS = `^src/(core|${FEATURES.slice(1, -1)}|${PLUMBING.slice(1, -1)}|sandbox|cli)/`;

module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is plain TypeScript: no Slack, AWS, Redis, logging or metrics packages.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: `node_modules/${IO_PACKAGES}` },
    },
    {
      name: 'core-depends-on-nothing-outside',
      comment: 'The core may import only itself and the config schema.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^(src|commands|views)/', pathNot: ['^src/core/', '^src/config/config-schema\\.ts$'] },
    },
    {
      name: 'views-are-pure',
      comment: 'Views are pure functions of their input: only the core, other views and the Slack ids; no I/O package.',
      severity: 'error',
      from: { path: '^views/' },
      to: { path: ['^src/(?!core/|slack/slack-ids\\.ts$)', '^commands/', `node_modules/${IO_PACKAGES}`] },
    },
    {
      name: 'views-use-slack-types-as-types',
      comment: 'Views may use the Slack block types, as types only (import type).',
      severity: 'error',
      from: { path: '^views/' },
      to: { path: 'node_modules/@slack/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'plumbing-knows-no-feature',
      comment:
        'Adapters and plumbing (config, observability, store, aws, slack, http, jobs) serve the features and know none of them, nor commands or the composition root.',
      severity: 'error',
      from: { path: `^src/${PLUMBING}/` },
      to: { path: [`^src/${FEATURES}/`, '^src/(sandbox|cli)/', '^commands/', COMPOSITION_ROOT, '^src/bot-deps\\.ts$'] },
    },
    {
      name: 'features-know-no-entry-point',
      comment: 'Features are called by commands and the composition root, never the other way round.',
      severity: 'error',
      from: { path: `^src/${FEATURES}/` },
      to: { path: ['^commands/', COMPOSITION_ROOT, '^src/(sandbox|cli)/'] },
    },
    {
      name: 'feature-through-its-index',
      comment: "A feature uses another feature only through that feature's index.ts (its public face), never its internals.",
      severity: 'error',
      from: { path: `^src/${FEATURES}/` },
      to: { path: `^src/${FEATURES}/(?!index\\.ts$)`, pathNot: '^src/$1/' },
    },
    {
      name: 'commands-only-from-the-root',
      comment: 'commands/ are entry points: only the composition root registers them.',
      severity: 'error',
      from: { pathNot: ['^commands/', COMPOSITION_ROOT] },
      to: { path: '^commands/' },
    },
    {
      name: 'composition-root-is-the-top',
      comment: 'Nothing imports the composition root but the root itself (main → create-bot → register-listeners) and the sandbox, which runs the bot.',
      severity: 'error',
      from: { pathNot: [COMPOSITION_ROOT, '^src/sandbox/'] },
      to: { path: COMPOSITION_ROOT },
    },
    {
      name: 'sandbox-is-a-leaf',
      comment: 'The sandbox (npm run sandbox) drives the bot from outside; no bot code depends on it.',
      severity: 'error',
      from: { pathNot: '^src/sandbox/' },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'cli-stands-alone',
      comment: 'mlops-notify ships as its own bin: the core only (the event schema and its checks).',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: ['^src/(?!core/|cli/)', '^commands/', '^views/'] },
    },
    {
      name: 'folder-has-a-layer',
      comment: 'Every folder of src/ belongs to a layer, so that the rules above see it: add a new folder to FEATURES or PLUMBING in .dependency-cruiser.cjs.',
      severity: 'error',
      from: {},
      to: { path: '^src/[^/]+/', pathNot: KNOWN_FOLDERS },
    },
    {
      name: 'no-circular',
      comment: 'No module imports, however indirectly, a module that imports it (type-only imports aside).',
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
