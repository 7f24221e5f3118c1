import type { BotDeps } from '../bot-deps';
import { candidateThread } from '../bake';
import { BAKE_DEFAULTS } from '../config/config-schema';
import type { BakeThresholds } from '../core/bake-verdict';
import type { DeploymentCandidate } from '../core/candidate-state-machine';
import { createSingleFlight } from '../core/create-single-flight';
import { isMlopsError } from '../core/errors';
import type { PipelineEvent } from '../core/pipeline-event';
import { compareVariants, comparisonWindow, shadowVerdict, type ShadowComparison, type ShadowVerdict } from '../core/shadow-comparison';
import { withTimeout } from '../core/time-limit';
import { findDeploymentCandidate } from '../deployments';
import { leasedJob, type LeasedJob } from '../jobs/leased-job';
import type { Logger } from '../observability/create-logger';
import type { MessageTarget } from '../outbox';
import { storeKeys } from '../store/store-keys';
import { updateJson } from '../store/update-json';
import { shadowComparisonUnavailableView, shadowComparisonView } from '../../views/shadow-comparison-view';

export const SHADOW_JOB = 'shadow';
const HOUR = 3_600_000;
/** A shadow record outlives its window by three days (retries of the end-of-window comparison). */
const EXTRA_TTL_MS = 72 * HOUR;
/** A comparison (or a failure to read one) answers every Compare now click for this long: a burst reads CloudWatch once. */
const COMPARISON_CACHE_MS = 60_000;
const FAILURE_CACHE_MS = 15_000;
/** SageMaker + CloudWatch get this long per comparison (the SDK's own retries included). */
const READ_TIMEOUT_MS = 10_000;
/** End-of-window retries after CloudWatch failed: 15 s, 30 s, … at most 5 min apart. */
const RETRY_BASE_MS = 15_000;
const RETRY_MAX_MS = 5 * 60_000;

/** One running shadow deployment (storeKeys.shadow(candidate)), listed in storeKeys.shadows() until its window's comparison is posted. */
export interface ShadowRecord {
  /** The shadow's candidate. */
  id: string;
  model: string;
  version: string;
  endpoint: string;
  /** deployment.succeeded of the shadow: the shadow window starts here. */
  startedAt: string;
  /** startedAt + strategy.durationHours: the end-of-window comparison is due. */
  dueAt: string;
  durationHours: number;
  thresholds: BakeThresholds;
  /** The run's thread (else under the card, else the channel). */
  target: MessageTarget;
  /** running → reported (the end-of-window comparison posted) or ended (promoted / stopped before the window ended). */
  state: 'running' | 'reported' | 'ended';
  /** End-of-window reads that failed so far (the first is said in the thread). */
  failures: number;
  retryAt?: string;
  verdict?: ShadowVerdict['kind'];
}

export type CompareNowResult =
  | { kind: 'posted'; comparison: ShadowComparison }
  /** Not a running shadow (never one, promoted, stopped). */
  | { kind: 'not_running' }
  | { kind: 'unavailable'; problem: string; message: ReturnType<typeof shadowComparisonUnavailableView> };

export interface ShadowWatch {
  /** A recorded deployment.* event (after the deployments feature applied it): a shadow's deployment.succeeded starts its window. Idempotent. */
  applyPipelineEvent(event: PipelineEvent): Promise<void>;
  /** Compare now (anyone in the channel): the comparison goes to the run's thread through the outbox, once per minute of data. */
  compareNow(input: { candidateId: string; userId: string; log: Logger }): Promise<CompareNowResult>;
  job: LeasedJob<number>;
}

type ShadowDeps = Pick<BotDeps, 'config' | 'store' | 'logger' | 'clock' | 'inspector' | 'recordMessage' | 'candidates' | 'runs'>;

/** What the cache keeps: a comparison, or why there is none (dates as ISO strings). */
type Cached = { ok: true; comparison: ShadowComparison } | { ok: false; problem: string };

/**
 * The live production-vs-shadow comparison (issue 14): while a shadow deployment runs, Compare now
 * reads both variants from CloudWatch (single-flight per shadow, a one-minute cache in the store) and
 * posts the figures in the run's thread; at the end of the shadow window (startedAt + durationHours)
 * one replica (a leased job) posts the comparison with a verdict, exactly once (recorded by key).
 * CloudWatch failing means "no comparison yet", said and retried, never a figure made up.
 */
export function createShadowWatch(deps: ShadowDeps, options: { intervalMs?: number } = {}): ShadowWatch {
  const log = deps.logger.child({ component: SHADOW_JOB });
  const config = deps.config.file;
  const flights = createSingleFlight<Cached>();

  const ttlOf = (r: Pick<ShadowRecord, 'durationHours'>) => r.durationHours * HOUR + EXTRA_TTL_MS;
  const load = async (id: string): Promise<ShadowRecord | undefined> => {
    const raw = await deps.store.get(storeKeys.shadow(id));
    return raw === null ? undefined : (JSON.parse(raw) as ShadowRecord);
  };
  const problemOf = (error: unknown) => (isMlopsError(error) || error instanceof Error ? error.message : 'unexpected error');

  async function applyPipelineEvent(event: PipelineEvent): Promise<void> {
    if (event.type !== 'deployment.succeeded' || event.version === undefined) return;
    const model = config.models[event.model];
    const channel = model?.channel ?? config.slack.defaultChannel;
    const candidate = await findDeploymentCandidate(deps.candidates, event);
    // Only the shadow's own success: a promotion's or a stop's deployment.succeeded carries a decision.
    if (candidate?.strategy?.type !== 'shadow' || candidate.shadowDecision !== undefined || candidate.state !== 'deployed') return;
    const endpoint = model?.endpoint ?? candidate.endpoint ?? event.endpoint;
    if (model === undefined || endpoint === undefined || channel === undefined) return;
    const existing = await load(candidate.id);
    if (existing !== undefined) {
      // A repeat of the event: listed again only if still running (a crash may have come between the two writes below).
      if (existing.state === 'running') await deps.store.setAdd(storeKeys.shadows(), existing.id);
      return;
    }
    const bake = model.bake ?? BAKE_DEFAULTS;
    const now = deps.clock.now();
    const { durationHours } = candidate.strategy;
    const record: ShadowRecord = {
      id: candidate.id,
      model: candidate.model,
      version: candidate.version,
      endpoint,
      startedAt: now.toISOString(),
      dueAt: new Date(now.getTime() + durationHours * HOUR).toISOString(),
      durationHours,
      thresholds: { maxLatencyIncrease: bake.maxLatencyIncrease, max5xxRate: bake.max5xxRate },
      target: (await candidateThread(deps, candidate, channel)).target,
      state: 'running',
      failures: 0,
    };
    if (await deps.store.setIfAbsent(storeKeys.shadow(record.id), JSON.stringify(record), ttlOf(record))) {
      log.info({ shadow: record.id, model: record.model, version: record.version, dueAt: record.dueAt }, 'shadow window started');
    }
    await deps.store.setAdd(storeKeys.shadows(), record.id);
  }

  /** Both variants over [startedAt, end): DescribeEndpoint names them, one GetMetricData reads them. */
  async function readComparison(r: ShadowRecord, end: Date): Promise<ShadowComparison> {
    const inspector = deps.inspector;
    if (inspector === undefined) throw new Error('no AWS access is configured');
    return withTimeout(
      (async () => {
        const endpoint = await inspector.describeEndpoint(r.endpoint);
        const production = endpoint.variants[0]?.variantName;
        const shadow = endpoint.shadowVariants?.[0]?.variantName;
        if (production === undefined) throw new Error(`${r.endpoint} has no production variant`);
        if (shadow === undefined) throw new Error(`${r.endpoint} has no shadow variant (ShadowProductionVariants is empty)`);
        const { from, to } = comparisonWindow(r.startedAt, end, Math.max(24, r.durationHours));
        const series = await inspector.endpointMetrics(r.endpoint, [production, shadow], from, to, undefined, { latencyP50: true });
        return compareVariants(series, { production, shadow }, from, to);
      })(),
      READ_TIMEOUT_MS,
      () => new Error(`SageMaker or CloudWatch did not answer within ${READ_TIMEOUT_MS / 1000} s`),
    );
  }

  function isRunning(r: ShadowRecord | undefined, c: DeploymentCandidate | undefined): r is ShadowRecord {
    return r !== undefined && c?.state === 'deployed' && c.strategy?.type === 'shadow' && c.shadowDecision === undefined;
  }

  async function compareNow(input: { candidateId: string; userId: string; log: Logger }): Promise<CompareNowResult> {
    const [r, c] = await Promise.all([load(input.candidateId), deps.candidates.get(input.candidateId)]);
    if (!isRunning(r, c)) return { kind: 'not_running' };
    // One read per shadow at a time on this replica, and one per minute across replicas (the store cache).
    const cached = await flights.run(r.id, async () => {
      const raw = await deps.store.get(storeKeys.shadowComparison(r.id));
      if (raw !== null) return JSON.parse(raw) as Cached;
      let fresh: Cached;
      try {
        fresh = { ok: true, comparison: await readComparison(r, deps.clock.now()) };
      } catch (error) {
        input.log.warn({ err: error, shadow: r.id }, 'shadow comparison: the metrics could not be read');
        fresh = { ok: false, problem: problemOf(error) };
      }
      await deps.store.set(storeKeys.shadowComparison(r.id), JSON.stringify(fresh), fresh.ok ? COMPARISON_CACHE_MS : FAILURE_CACHE_MS);
      return fresh;
    });
    if (!cached.ok) {
      return {
        kind: 'unavailable',
        problem: cached.problem,
        message: shadowComparisonUnavailableView({ ...r, problem: cached.problem, final: false }),
      };
    }
    const { comparison } = cached;
    const verdict = shadowVerdict(comparison, r.thresholds);
    // By the window's end: clicks answered from the same comparison record nothing twice.
    await deps.recordMessage(
      `shadow:${r.id}:compare:${comparison.to}`,
      {
        type: 'shadow-comparison',
        message: shadowComparisonView({ ...r, comparison, verdict, requestedBy: input.userId }),
        targets: [r.target],
        model: r.model,
      },
      deps.clock.now(),
    );
    return { kind: 'posted', comparison };
  }

  /** The end of the shadow window: the comparison with a verdict, once; CloudWatch down → said once, retried with backoff. */
  async function judge(r: ShadowRecord, now: Date): Promise<void> {
    const slog = log.child({ shadow: r.id, model: r.model, version: r.version });
    let comparison: ShadowComparison;
    try {
      comparison = await readComparison(r, new Date(Math.min(now.getTime(), Date.parse(r.dueAt))));
    } catch (error) {
      slog.warn({ err: error }, 'shadow: the end-of-window comparison could not be read; retrying');
      if (r.failures === 0) {
        await deps.recordMessage(
          `shadow:${r.id}:unavailable`,
          {
            type: 'shadow-comparison',
            message: shadowComparisonUnavailableView({ ...r, problem: problemOf(error), final: true }),
            targets: [r.target],
            model: r.model,
          },
          now,
        );
      }
      const retryAt = new Date(now.getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** r.failures)).toISOString();
      await updateJson<ShadowRecord>(deps.store, storeKeys.shadow(r.id), ttlOf(r), (x) =>
        x === undefined ? undefined : { ...x, failures: x.failures + 1, retryAt },
      );
      return;
    }
    const verdict = shadowVerdict(comparison, r.thresholds);
    // Recorded by key: a crash before the state below is saved records nothing twice.
    await deps.recordMessage(
      `shadow:${r.id}:window-end`,
      { type: 'shadow-comparison', message: shadowComparisonView({ ...r, comparison, verdict }), targets: [r.target], model: r.model },
      now,
    );
    await updateJson<ShadowRecord>(deps.store, storeKeys.shadow(r.id), ttlOf(r), (x) =>
      x === undefined ? undefined : { ...x, state: 'reported', verdict: verdict.kind },
    );
    await deps.store.setRemove(storeKeys.shadows(), r.id);
    slog.info({ verdict: verdict.kind }, 'shadow window comparison posted');
  }

  const job = leasedJob<number>({
    name: SHADOW_JOB,
    store: deps.store,
    logger: deps.logger,
    intervalMs: options.intervalMs ?? 2000,
    runAtStart: true,
    stopWaitMs: 3000,
    releaseAtStop: 'after-wait',
    // -1: no pass ran here (lease held elsewhere, stopping); a pass returns how many shadows it judged.
    idle: () => -1,
    async pass(turn) {
      let judged = 0;
      for (const id of await deps.store.setMembers(storeKeys.shadows())) {
        if (turn.stopping() || !(await turn.keep())) break;
        const r = await load(id);
        if (r?.state !== 'running') {
          await deps.store.setRemove(storeKeys.shadows(), id);
          continue;
        }
        const now = deps.clock.now();
        if (now.getTime() < Date.parse(r.dueAt) || (r.retryAt !== undefined && now.getTime() < Date.parse(r.retryAt))) continue;
        if (!isRunning(r, await deps.candidates.get(id))) {
          // Promoted or stopped before the window ended: the decision is taken, no comparison is due.
          await updateJson<ShadowRecord>(deps.store, storeKeys.shadow(id), ttlOf(r), (x) => (x?.state === 'running' ? { ...x, state: 'ended' } : undefined));
          await deps.store.setRemove(storeKeys.shadows(), id);
          continue;
        }
        await judge(r, now);
        judged++;
      }
      return judged;
    },
  });

  return { applyPipelineEvent, compareNow, job };
}
