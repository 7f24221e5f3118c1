/**
 * The live production-vs-shadow comparison (issue 14) through the real bot: a shadow deployment's
 * deployment.succeeded (a signed hook) starts its window in the store; Compare now on the card
 * (anyone; read-only) reads both variants from the fake AWS with the real SDK clients
 * (DescribeEndpoint: ProductionVariants vs ShadowProductionVariants; GetMetricData per VariantName)
 * and posts the figures in the run's thread; at the end of the window one replica posts the
 * comparison with a verdict exactly once. CloudWatch failing means "no comparison yet", retried.
 */
import { ActionId } from '../../src/slack/slack-ids';
import { storeKeys } from '../../src/store/store-keys';
import { SHADOW_JOB, type ShadowRecord } from '../../src/shadow';
import type { LeasedJob } from '../../src/jobs/leased-job';
import { DEFAULT_ENDPOINT, startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../kit/fake-slack-server';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  click,
  deploymentEvent,
  handledClicks,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';
import { STRATEGIES_CONFIG, deployWithPick } from './strategies-helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const PRODUCTION = 'prod-1-3-0';
const SHADOW = 'shadow-1-4-0';
const CONFIG = {
  ...STRATEGIES_CONFIG,
  models: {
    ...STRATEGIES_CONFIG.models,
    'fraud-detector': { ...STRATEGIES_CONFIG.models['fraud-detector'], bake: { minutes: 10, maxLatencyIncrease: 0.2, max5xxRate: 0.01 } },
  },
};

/** The bot's clock: real time plus an offset the test moves forward. */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

describe('live production-vs-shadow comparison', () => {
  let slack: FakeSlack;
  let aws: FakeAws;
  let t: TestBot;
  let clock: ReturnType<typeof movableClock>;
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
  });
  afterAll(async () => {
    await slack.close();
    await aws.close();
  });
  const extra: TestBot[] = [];
  beforeEach(async () => {
    slack.reset();
    aws.reset();
    // The endpoint as a shadow test leaves it: one production variant, one shadow variant, each with its own series.
    aws.sagemaker.setEndpoint({
      ...DEFAULT_ENDPOINT,
      variants: [{ name: PRODUCTION, model: 'fraud-detector-1-3-0', instanceType: 'ml.m5.large', instanceCount: 2, initialWeight: 1 }],
      shadowVariants: [{ name: SHADOW, model: 'fraud-detector-1-4-0', instanceType: 'ml.m5.large', instanceCount: 1, initialWeight: 1 }],
    });
    const perVariant = (metricName: string, stat: string | undefined, production: number, shadow: number) => {
      aws.cloudwatch.setSeries({ metricName, ...(stat !== undefined ? { stat } : {}), variant: PRODUCTION }, () => production);
      aws.cloudwatch.setSeries({ metricName, ...(stat !== undefined ? { stat } : {}), variant: SHADOW }, () => shadow);
    };
    perVariant('Invocations', undefined, 100, 50);
    perVariant('ModelLatency', 'p50', 20_000, 30_000); // µs, as AWS reports it
    perVariant('ModelLatency', 'p99', 50_000, 90_000);
    perVariant('Invocation4XXErrors', undefined, 0, 0);
    perVariant('Invocation5XXErrors', undefined, 0, 1);
    clock = movableClock();
    t = await startTestBot({ fileConfig: CONFIG, slack, aws, clock });
  });
  afterEach(async () => {
    for (const b of extra.splice(0)) await b.stop();
    await t.stop();
  });

  const shadowOf = async (bot: TestBot, id: string) => {
    const raw = await bot.bot.deps.store.get(storeKeys.shadow(id));
    return raw === null ? undefined : (JSON.parse(raw) as ShadowRecord);
  };
  const shadowJob = (bot: TestBot) => bot.bot.jobs.find((j) => j.name === SHADOW_JOB) as LeasedJob<number>;
  const text = (m: FakeSlackMessage) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`;
  const thread = (seeded: Seeded) => t.slack.messages(seeded.channel).filter((m) => m.thread_ts === seeded.ts);
  const comparisons = (seeded: Seeded) => thread(seeded).filter((m) => m.text.startsWith('Shadow comparison:'));
  const windowEnds = (seeded: Seeded) => thread(seeded).filter((m) => m.text.startsWith('Shadow window ended:'));
  const metricReads = () => aws.callsTo('cloudwatch', 'GetMetricData');

  /** 1.3.0 in production; 1.4.0 deployed as a shadow (50 % for 24 h) and reported running by a signed hook: its window starts. */
  async function liveShadow(): Promise<{ seeded: Seeded; record: ShadowRecord }> {
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.3.0', timestamp: new Date(Date.now() - HOUR).toISOString() }));
    const seeded = await seedCandidate(t);
    await deployWithPick(t, seeded, 'U0ALICE', '3');
    expect((await t.hook(deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: seeded.id }))).status).toBe(202);
    const record = await waitFor(() => shadowOf(t, seeded.id), 'the shadow window to start');
    expect(record).toMatchObject({ state: 'running', version: '1.4.0', durationHours: 24, target: { channel: FRAUD.channel, threadTs: seeded.ts } });
    expect(Date.parse(record.dueAt) - Date.parse(record.startedAt)).toBe(24 * HOUR);
    await waitFor(() => messageOf(t, seeded).blocks.includes('runs in shadow on fraud-detector-prod'), 'the shadow card');
    return { seeded, record };
  }

  async function compareClicks(seeded: Seeded, user: string, n: number): Promise<string[]> {
    const before = await handledClicks(t, 'shadow_compare');
    const ids = await Promise.all(Array.from({ length: n }, () => click(t, ActionId.ShadowCompare, seeded, user)));
    await waitFor(async () => (await handledClicks(t, 'shadow_compare')) >= before + n, 'the Compare now clicks to be handled', 20_000);
    return ids;
  }

  it('Compare now (anyone, read-only) posts production beside the shadow in the thread; a burst of clicks reads CloudWatch once; Promote stays approver-only', async () => {
    const { seeded } = await liveShadow();
    expect(messageOf(t, seeded).actions.map((a) => a.action_id)).toEqual([ActionId.ShadowPromote, ActionId.ShadowStop, ActionId.ShadowCompare]);
    expect(metricReads()).toHaveLength(0);

    // Mallory is no approver: she may compare, five times at once.
    await compareClicks(seeded, 'U0MALLORY', 5);
    const [posted] = await waitFor(() => (comparisons(seeded).length > 0 ? comparisons(seeded) : undefined), 'the comparison in the thread');
    const body = text(posted!);
    expect(body).toMatch(new RegExp(`variant +${PRODUCTION} +${SHADOW}`));
    // The window so far: the minute the shadow started (two when the clock crossed a minute meanwhile).
    const [, prod, shadow] = /invocations +(\d+) +(\d+)\\n/.exec(body) ?? [];
    expect([100, 200]).toContain(Number(prod));
    expect(Number(shadow)).toBe(Number(prod) / 2);
    expect(body).toMatch(/latency p50 +20\.0 ms +30\.0 ms/);
    expect(body).toMatch(/latency p99 +50\.0 ms +90\.0 ms/);
    expect(body).toMatch(/5XX rate +0 % +2 %/);
    expect(body).toContain('p99 90.0 ms (shadow) vs 50.0 ms (production), 5XX 2 % vs 0 %');
    expect(body).toContain('the shadow is *worse* than production');
    expect(body).toContain('shadow p99 is 80 % above production (more than 20 %)');
    expect(body).toContain('asked by <@U0MALLORY>');
    // One read for the burst: the variants from DescribeEndpoint, both in one GetMetricData with p50 and p99.
    expect(metricReads()).toHaveLength(1);
    const queries = (
      metricReads()[0]!.body as { MetricDataQueries: { MetricStat: { Stat: string; Metric: { Dimensions: { Name: string; Value: string }[] } } }[] }
    ).MetricDataQueries;
    const variantsRead = new Set(queries.map((q) => q.MetricStat.Metric.Dimensions.find((d) => d.Name === 'VariantName')?.Value));
    expect([...variantsRead].sort()).toEqual([PRODUCTION, SHADOW]);
    expect(queries.map((q) => q.MetricStat.Stat)).toEqual(expect.arrayContaining(['p50', 'p99']));
    expect(comparisons(seeded)).toHaveLength(1);

    // The buttons that change things are still approvers' only.
    const refused = await click(t, ActionId.ShadowPromote, seeded, 'U0MALLORY');
    expect(await waitForAnswer(t, refused)).toMatch(/You may not approve deployments of fraud-detector/);
  }, 40_000);

  it('CloudWatch failing on request: the clicker is told "no comparison yet" and nothing is posted; a timeout too', async () => {
    const { seeded } = await liveShadow();
    aws.failNext('cloudwatch', 'GetMetricData', { error: { status: 503, type: 'ServiceUnavailable', message: 'CloudWatch is down' } }, 20);
    const [id] = await compareClicks(seeded, 'U0BOB', 1);
    expect(await waitForAnswer(t, id!)).toMatch(/No comparison yet: try Compare now again in a minute/);
    expect(comparisons(seeded)).toEqual([]);

    // A CloudWatch that never answers in time: the same, within the bot's own time limit.
    await t.bot.deps.store.delete(storeKeys.shadowComparison(seeded.id));
    aws.reset();
    aws.sagemaker.setEndpoint({ ...DEFAULT_ENDPOINT, shadowVariants: [{ name: SHADOW, model: 'fraud-detector-1-4-0' }] });
    aws.answerFate('cloudwatch', 'GetMetricData', { fate: 'late', lateMs: 30_000 });
    const [late] = await compareClicks(seeded, 'U0BOB', 1);
    expect(await waitForAnswer(t, late!)).toMatch(/No comparison yet/);
    expect(comparisons(seeded)).toEqual([]);
  }, 60_000);

  it('end of the shadow window: CloudWatch down → "no comparison yet" once, retried; then the comparison with a verdict and the Promote/Stop reminder, once', async () => {
    const { seeded, record } = await liveShadow();
    let down = true;
    aws.on('cloudwatch', 'GetMetricData', () => (down ? { error: { status: 503, type: 'ServiceUnavailable', message: 'CloudWatch is down' } } : undefined));
    clock.advance(23 * HOUR);
    expect(await shadowJob(t).runOnce()).toBe(0); // not due: nothing read
    expect(metricReads()).toHaveLength(0);

    clock.advance(HOUR + MIN);
    await waitFor(async () => ((await shadowOf(t, seeded.id))?.failures ?? 0) >= 1, 'a failed end-of-window read', 15_000);
    const note = await waitFor(() => thread(seeded).find((m) => m.text.startsWith('No shadow comparison yet')), 'the unavailable note');
    expect(text(note)).toContain('the bot keeps trying and posts it when it can');
    clock.advance(MIN); // past the retry backoff
    await waitFor(async () => ((await shadowOf(t, seeded.id))?.failures ?? 0) >= 2, 'a retry', 15_000);
    expect(windowEnds(seeded)).toEqual([]);
    expect(thread(seeded).filter((m) => m.text.startsWith('No shadow comparison yet'))).toHaveLength(1);

    down = false;
    clock.advance(5 * MIN);
    const [final] = await waitFor(() => (windowEnds(seeded).length > 0 ? windowEnds(seeded) : undefined), 'the end-of-window comparison', 15_000);
    expect(text(final!)).toMatch(/latency p99 +50\.0 ms +90\.0 ms/);
    expect(text(final!)).toContain('the shadow is *worse* than production');
    expect(text(final!)).toContain('Promote shadow or Stop shadow on the deployment');
    await waitFor(async () => (await shadowOf(t, seeded.id))?.state === 'reported', 'the shadow reported');
    expect((await shadowOf(t, seeded.id))?.verdict).toBe('worse');
    // The window read ends at dueAt, whatever the clock says now.
    const last = metricReads().at(-1)!.body as { EndTime: number };
    expect(last.EndTime * 1000).toBe(Math.ceil(Date.parse(record.dueAt) / MIN) * MIN);
    const reads = metricReads().length;
    expect(await shadowJob(t).runOnce()).toBe(0);
    expect(metricReads()).toHaveLength(reads);
    expect(windowEnds(seeded)).toHaveLength(1);
  }, 60_000);

  it('end of the window is posted exactly once across a restart and two bot instances', async () => {
    const { seeded } = await liveShadow();
    const keyPrefix = t.keyPrefix;
    // A restart: the first bot goes away, two replicas come up on the same store.
    await t.stop();
    const a = await startTestBot({ fileConfig: CONFIG, slack, aws, clock, keyPrefix });
    const b = await startTestBot({ fileConfig: CONFIG, slack, aws, clock, keyPrefix });
    extra.push(a, b);
    t = a;
    clock.advance(24 * HOUR + MIN);
    await Promise.all([shadowJob(a).runOnce(), shadowJob(b).runOnce(), shadowJob(a).runOnce(), shadowJob(b).runOnce()]);
    await waitFor(async () => (await shadowOf(a, seeded.id))?.state === 'reported', 'the shadow reported', 15_000);
    await waitFor(() => (windowEnds(seeded).length > 0 ? true : undefined), 'the end-of-window comparison', 15_000);
    await Promise.all([shadowJob(a).runOnce(), shadowJob(b).runOnce()]);
    expect(windowEnds(seeded)).toHaveLength(1);
    expect(metricReads()).toHaveLength(1);
    // A crash after the comparison was recorded but before its state was saved: judged again, recorded once (outbox key).
    const reported = await shadowOf(a, seeded.id);
    await a.bot.deps.store.set(storeKeys.shadow(seeded.id), JSON.stringify({ ...reported, state: 'running' }), 2 * 24 * HOUR);
    await a.bot.deps.store.setAdd(storeKeys.shadows(), seeded.id);
    await waitFor(async () => (await shadowOf(a, seeded.id))?.state === 'reported' && metricReads().length === 2, 'the comparison judged again', 15_000);
    expect(windowEnds(seeded)).toHaveLength(1);
    // afterEach stops `t` (now a) and the extras: a only once.
    extra.splice(extra.indexOf(a), 1);
  }, 60_000);

  it('promoted before the window ends: no end-of-window comparison, and Compare now says the shadow no longer runs', async () => {
    const { seeded } = await liveShadow();
    const before = await handledClicks(t, 'shadow_promote');
    await click(t, ActionId.ShadowPromote, seeded, 'U0BOB');
    await waitFor(async () => (await handledClicks(t, 'shadow_promote')) > before, 'the Promote click');
    const [id] = await compareClicks(seeded, 'U0MALLORY', 1);
    expect(await waitForAnswer(t, id!)).toMatch(/no longer running/);
    clock.advance(24 * HOUR + MIN);
    await waitFor(async () => (await shadowOf(t, seeded.id))?.state === 'ended', 'the shadow to end without a comparison', 15_000);
    expect(windowEnds(seeded)).toEqual([]);
    expect(metricReads()).toHaveLength(0);
  }, 40_000);
});
