import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { trainingFailed } from '../fixtures/pipeline-events';
import { sendCommand } from './commands-kit';

/**
 * Every metric label comes from a closed set (issue 10, item 4): what a workspace member types,
 * what a pipeline or a stranger sends, never mints a series. Before, each distinct unknown
 * subcommand became a `name` label: 3,000 of them grew /metrics from 13 KiB to 4 MiB.
 */
describe('metric labels come from closed sets', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ store: 'memory' });
  });
  afterAll(async () => {
    await t.stop();
  });

  /** Our own series (default process metrics may add GC kinds on their own). */
  const mlopsSeries = async () => (await (await fetch(`${t.url}/metrics`)).text()).split('\n').filter((line) => line.startsWith('mlops_'));

  async function inBatches(count: number, size: number, send: (i: number) => Promise<unknown>): Promise<void> {
    for (let start = 0; start < count; start += size) {
      await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => send(start + k)));
    }
  }

  it('3,000 distinct unknown subcommands, odd paths and event types leave the series count unchanged after the first', async () => {
    // The first of each kind creates its (closed) series.
    expect((await sendCommand(t, 'zz-first-unknown')).body?.text).toContain('is not a /mlops subcommand');
    expect((await fetch(`${t.url}/not-a-route-0`)).status).toBe(404);
    expect((await t.hook({ ...trainingFailed(), type: 'first.bogus' })).status).toBe(400);
    expect((await t.hook('{not json')).status).toBe(400);
    await mlopsSeries(); // /metrics counts itself
    const before = await mlopsSeries();

    await inBatches(3000, 25, async (i) => {
      const ack = await sendCommand(t, `unknown-subcommand-${i}-${'x'.repeat(i % 50)}`);
      if (ack.status !== 200) throw new Error(`ack ${ack.status}`);
    });
    await inBatches(300, 25, async (i) => fetch(`${t.url}/no-such-route/${i}?q=${i}`));
    await inBatches(300, 25, async (i) => t.hook({ ...trainingFailed(), type: `bogus.type.${i}` }));

    const after = await mlopsSeries();
    const names = (lines: string[]) => new Set(lines.map((l) => l.replace(/ [^ ]+$/, '')));
    const added = [...names(after)].filter((l) => !names(before).has(l));
    expect(added).toEqual([]);
    expect(after.length).toBe(before.length);
    const all = after.join('\n');
    expect(all).not.toMatch(/unknown-subcommand-/);
    expect(all).not.toMatch(/no-such-route|bogus\.type/);
    expect(all).toMatch(/mlops_slack_requests_total\{kind="command",name="unknown",outcome="unknown"\} 3001/);
  }, 120_000);

  it('counts a command line that cannot be read (unclosed quote) instead of throwing after the ack', async () => {
    const ack = await sendCommand(t, 'train fraud-detector note="unclosed');
    expect(ack.status).toBe(200);
    expect(ack.body?.text).toMatch(/unclosed " quote/);
    // observe() used to read `name` before its declaration: a ReferenceError after the ack, no count.
    const series = (await mlopsSeries()).join('\n');
    expect(series).toMatch(/mlops_slack_requests_total\{kind="command",name="unreadable",outcome="parse_error"\} 1/);
    expect(t.logs.text()).not.toMatch(/ReferenceError|Cannot access 'name'/);
  });
});
