/**
 * No folder cycles (issue 11), checked on the runtime import graph: a folder's imports are those of
 * every file directly in it, and no folder may reach itself again through other folders.
 * dependency-cruiser's folder-scoped rules cannot leave type-only imports out, and two type-only
 * ties are by design (every feature names the BotDeps type the composition root fills, and the
 * core names the config types), so the graph is built here from depcruise's own JSON output.
 *
 * Usage: node scripts/check-folder-cycles.cjs [dir…]   (run by `npm run lint:deps`)
 * Exit 1 and one line per cycle, with a file-level import for each step, when there is one.
 */
const { spawnSync } = require('node:child_process');
const { dirname, join } = require('node:path');

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src', 'commands', 'views'];
const bin = join(__dirname, '..', 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(__dirname, '..', '.dependency-cruiser.cjs');
const run = spawnSync(process.execPath, [bin, '--config', config, '--output-type', 'json', ...roots], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (run.stdout === '') {
  console.error(`check-folder-cycles: depcruise printed nothing: ${run.stderr}`);
  process.exit(2);
}
const { modules } = JSON.parse(run.stdout);

/** folder → folder → one example import (from → to) */
const edges = new Map();
for (const m of modules) {
  const from = dirname(m.source);
  for (const d of m.dependencies) {
    if (d.coreModule || d.couldNotResolve || d.resolved.startsWith('node_modules/')) continue;
    if (d.dependencyTypes.includes('type-only') || d.dependencyTypes.includes('type-import')) continue;
    const to = dirname(d.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${m.source} → ${d.resolved}`);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const components = [];
function visit(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!state.has(w)) {
      visit(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component);
  }
}
for (const v of edges.keys()) if (!state.has(v)) visit(v);

if (components.length === 0) {
  console.log(`✔ no folder cycles (${edges.size} folders with imports, type-only imports aside)`);
  process.exit(0);
}
for (const component of components) {
  const members = new Set(component);
  const steps = [];
  for (const from of component) for (const [to, example] of edges.get(from) ?? []) if (members.has(to)) steps.push(`    ${from} → ${to}  (${example})`);
  console.error(`folder cycle: ${component.sort().join(' ↔ ')}\n${steps.join('\n')}`);
}
process.exit(1);
