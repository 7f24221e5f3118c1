#!/usr/bin/env node
// Builds dist/ once (npm's `prepare`, at install) and again only when a source is newer than the last
// build (`prestart`), so `npm start` does not pay for a TypeScript compile on every start.
// `--if-possible`: a production install (`npm ci --omit=dev`) has no TypeScript; skip instead of failing.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'commands', 'views', 'bin', 'lambda/dag-trigger/src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const sourcesAt = Math.max(...inputs.map((p) => newest(join(root, p))));
if (existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesAt && existsSync(join(root, 'dist', 'src', 'main.js'))) process.exit(0);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  if (process.argv.includes('--if-possible')) {
    process.stderr.write('build skipped: TypeScript is not installed (a production install); dist/ must come from a build stage\n');
    process.exit(0);
  }
  process.stderr.write('cannot build: TypeScript is not installed; run `npm ci` (with dev dependencies) first\n');
  process.exit(1);
}
const started = Date.now();
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(stamp, `${new Date().toISOString()}\n`);
process.stderr.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
