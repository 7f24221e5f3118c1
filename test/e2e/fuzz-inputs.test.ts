import fc from 'fast-check';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * Generated and mutated inputs against the running bot: never a 5xx, never a crash, and the
 * process stays healthy. Counts are reported so the figure can be quoted.
 */
const HOOK_RUNS = 2000;
const COMMAND_RUNS = 1000;

const anyJson = fc.jsonValue({ maxDepth: 4 });
const field = fc.constantFrom('id', 'type', 'model', 'version', 'timestamp', 'run', 'metrics', 'confusionMatrix', 'error', 'links', 'lineage', 'endpoint', '__proto__', 'constructor');
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), key: field }),
  fc.record({ kind: fc.constant('set' as const), key: field, value: anyJson }),
  fc.record({ kind: fc.constant('set' as const), key: field, value: fc.string({ maxLength: 3000, unit: 'binary' }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('metrics'), value: fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.double(), fc.string(), fc.constant(null))) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('confusionMatrix'), value: fc.record({ labels: fc.array(fc.string(), { maxLength: 60 }), matrix: fc.array(fc.array(fc.double(), { maxLength: 5 }), { maxLength: 5 }) }) }),
);

function mutate(base: Record<string, unknown>, mutations: { kind: 'drop' | 'set'; key: string; value?: unknown }[]): string {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const m of mutations) {
    if (m.kind === 'drop') delete copy[m.key];
    else Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  }
  return JSON.stringify(copy);
}

describe('fuzz', () => {
  let t: TestBot;
  const counts = { hook: 0, command: 0 };
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t.stop();
    process.stdout.write(`fuzz: ${counts.hook} hook payloads, ${counts.command} slash command texts\n`);
  });

  it(`pipeline hook: ${HOOK_RUNS} mutated and generated payloads, never a 5xx`, async () => {
    const payload = fc.oneof(
      { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(evaluationCompleted(), ms)) },
      { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 500, unit: 'binary' }) },
    );
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        counts.hook++;
        const res = await t.hook(body);
        await res.arrayBuffer();
        expect([200, 202, 400, 413, 422]).toContain(res.status);
      }),
      { numRuns: HOOK_RUNS },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it(`slash command text: ${COMMAND_RUNS} generated texts, never a 5xx, always an answer`, async () => {
    const words = fc.constantFrom('help', 'train', 'retrain', 'status', 'models', 'history', 'deploy', 'rollback', 'fraud-detector', 'x=1', 'x=1 x=2', '"', "'", '=', 'a="b c"', '\u201Cq\u201D');
    const text = fc.oneof(fc.array(words, { maxLength: 6 }).map((w) => w.join(' ')), fc.string({ maxLength: 300, unit: 'binary' }));
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        counts.command++;
        const res = await t.command(value);
        const body = await res.text();
        expect(res.status).toBe(200);
        expect(typeof body).toBe('string');
      }),
      { numRuns: COMMAND_RUNS },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
