import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The layer rules of .dependency-cruiser.cjs, run by the real depcruise on a small project: each
 * rule must catch its own breach and let the allowed imports through, so that a rule that stops
 * matching (a renamed folder, a regex typo, a scope dropped) fails here instead of passing quietly.
 */

const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** path → imports (specifiers; "type x" is `import type`), one export each so that every file is a module. */
const FIXTURE: Record<string, string[]> = {
  'src/config/config-schema.ts': [],
  // The core: the config schema is allowed, plumbing is not.
  'src/core/ports.ts': ['../config/config-schema'],
  'src/core/leaky.ts': ['../store/store-keys'],
  'src/core/talks-to-redis.ts': ['ioredis'],
  // A folder cycle through different files (store → http → store), no module cycle.
  'src/store/store-keys.ts': [],
  'src/store/redis-store.ts': ['../http/send-json'],
  'src/http/send-json.ts': [],
  'src/http/health-routes.ts': ['../store/store-keys'],
  // Plumbing that knows a feature.
  'src/aws/create-aws-ports.ts': ['../training/index'],
  'src/slack/slack-ids.ts': [],
  // Features: one meets another through its index (allowed) and through its internals (not).
  'src/deployments/index.ts': ['./deployment-service'],
  'src/deployments/deployment-service.ts': ['../core/ports', '../store/store-keys', '../../views/format'],
  'src/training/index.ts': ['./start-training'],
  'src/training/start-training.ts': ['../deployments/index', '../deployments/deployment-service'],
  'src/watchdog/run-watchdog.ts': ['../../commands/status-command'],
  // Views: the core, other views and the Slack ids only.
  'views/format.ts': [],
  'views/home-view.ts': ['./format', '../src/core/ports', '../src/slack/slack-ids'],
  'views/store-view.ts': ['../src/store/store-keys'],
  'views/slack-message.ts': ['type @slack/types'],
  'views/value-from-slack-types.ts': ['@slack/types'],
  // Entry points and the composition root.
  'commands/status-command.ts': ['../src/deployments/index'],
  'commands/deploy-command.ts': ['../src/deployments/index'],
  // A command that takes its deps type from the root: src/ imports commands/ (register-listeners) and commands/ import src/.
  'commands/train-command.ts': ['type ../src/bot-deps'],
  'src/bot-deps.ts': [],
  'src/register-listeners.ts': ['../commands/deploy-command', './training/index'],
  'src/create-bot.ts': ['./register-listeners', './deployments/index', './gadgets/widget'],
  // A folder in no layer.
  'src/gadgets/widget.ts': [],
  'src/main.ts': ['./create-bot'],
  'src/cli/mlops-notify.ts': ['../core/ports', '../store/store-keys'],
};

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

let violations: string[];
let modules: number;
let folderCycles: { status: number | null; stderr: string };

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'depcruise-rules-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true } }));
    // Two packages, so that the package rules have something to resolve.
    for (const name of ['ioredis', '@slack/types']) {
      mkdirSync(join(dir, 'node_modules', name), { recursive: true });
      writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js', types: 'index.d.ts' }));
      writeFileSync(join(dir, 'node_modules', name, 'index.js'), 'exports.x = 1;\n');
      writeFileSync(join(dir, 'node_modules', name, 'index.d.ts'), 'export declare const x: number;\nexport type T = number;\n');
    }
    Object.entries(FIXTURE).forEach(([path, imports], i) => {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      const lines = imports.map((spec, j) =>
        spec.startsWith('type ') ? `import type { T as t${j} } from '${spec.slice(5)}';` : `import * as m${j} from '${spec}';`,
      );
      const used = imports.map((spec, j) => (spec.startsWith('type ') ? `undefined as unknown as t${j}` : `m${j}`));
      writeFileSync(join(dir, path), [...lines, `export const x${i} = [${used.join(', ')}];`, ''].join('\n'));
    });
    const run = spawnSync(
      process.execPath,
      [DEPCRUISE, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src', 'commands', 'views'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    if (run.stdout === '') throw new Error(`depcruise printed nothing: ${run.stderr}`);
    const result = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
    modules = result.summary.totalCruised;
    violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    const cycles = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-folder-cycles.cjs'), 'src', 'commands', 'views'], { cwd: dir, encoding: 'utf8' });
    folderCycles = { status: cycles.status, stderr: cycles.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('dependency rules (.dependency-cruiser.cjs) on a fixture project', () => {
  it('cruises every fixture file and the two packages', () => {
    expect(modules).toBe(Object.keys(FIXTURE).length + 2);
  });

  it('fails on a folder cycle made of different files (no module cycle)', () => {
    expect(folderCycles.status).toBe(1);
    expect(folderCycles.stderr).toContain('folder cycle: src/http ↔ src/store');
    expect(folderCycles.stderr).toContain('src/store/redis-store.ts → src/http/send-json.ts');
    expect(folderCycles.stderr).toContain('src/http/health-routes.ts → src/store/store-keys.ts');
  });

  it('leaves type-only imports out of folder cycles: commands/ naming a type of src/ do not tie them to the root that registers them', () => {
    expect(folderCycles.stderr.match(/folder cycle:/g)).toHaveLength(1);
    expect(folderCycles.stderr).not.toContain('commands');
  });

  it('reports exactly the breaches of the fixture, and nothing that is allowed', () => {
    expect(violations).toEqual(
      [
        'core-depends-on-nothing-outside: src/core/leaky.ts → src/store/store-keys.ts',
        'core-is-pure: src/core/talks-to-redis.ts → node_modules/ioredis/index.js',
        'views-use-slack-types-as-types: views/value-from-slack-types.ts → node_modules/@slack/types/index.js',
        'plumbing-knows-no-feature: src/aws/create-aws-ports.ts → src/training/index.ts',
        'feature-through-its-index: src/training/start-training.ts → src/deployments/deployment-service.ts',
        'features-know-no-entry-point: src/watchdog/run-watchdog.ts → commands/status-command.ts',
        'commands-only-from-the-root: src/watchdog/run-watchdog.ts → commands/status-command.ts',
        'views-are-pure: views/store-view.ts → src/store/store-keys.ts',
        'cli-stands-alone: src/cli/mlops-notify.ts → src/store/store-keys.ts',
        'folder-has-a-layer: src/create-bot.ts → src/gadgets/widget.ts',
      ].sort(),
    );
  });
});
