import { readdirSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './bench-result';

/**
 * `npm run bench`: runs every bench/*-bench.ts (each exports `run(): Promise<BenchResult[]>`)
 * and prints one Markdown table with the machine it ran on. Needs Redis like the tests
 * (TEST_REDIS_URL, default redis://127.0.0.1:6379/0). `npm run bench -- delivery` runs matching files only.
 */
async function main(): Promise<void> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  const filter = process.argv[2];
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('-bench.ts'))
    .filter((f) => filter === undefined || f.includes(filter))
    .sort();
  const rows: BenchResult[] = [];
  for (const file of files) {
    process.stderr.write(`running ${file}…\n`);
    const mod = (await import(join(__dirname, file))) as { run: () => Promise<BenchResult[]> };
    rows.push(...(await mod.run()));
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nMachine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${arch()}, Node ${process.version}\n`);
  console.log('| benchmark | bot | baseline | ratio | target | note |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1));
    console.log(
      `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} (${r.baselineName}) | ${r.ratio.toFixed(2)}x | ${r.target ?? ''} | ${r.note ?? ''} |`,
    );
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
