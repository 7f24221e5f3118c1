import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BotDeps } from '../bot-deps';
import { BAKE_DEFAULTS } from '../config/config-schema';
import type { AlarmAlert } from '../core/alarm-alert';
import { bakeVerdict, figuresOf, type BakeFigures, type BakeThresholds, type BakeVerdict } from '../core/bake-verdict';
import { isUnpromotedShadow, type DeploymentCandidate } from '../core/candidate-state-machine';
import { isMlopsError } from '../core/errors';
import type { PipelineEvent } from '../core/pipeline-event';
import type { MetricSeries } from '../core/ports';
import { findDeploymentCandidate } from '../deployments';
import { leasedJob, type LeasedJob } from '../jobs/leased-job';
import type { MessageTarget } from '../outbox';
import { storeKeys } from '../store/store-keys';
import { updateJson } from '../store/update-json';
import { bakeReportView, bakeUnavailableView } from '../../views/bake-report-view';

export const BAKE_JOB = 'bake';
/** Bake records outlive the longest bake (1,440 min) and its retries. */
const BAKE_TTL_MS = 3 * 24 * 60 * 60 * 1000;
const MINUTE = 60_000;
/** The longest span read in one GetMetricData call at a 60 s period (the inspector's 1,440-point cap). */
const ONE_READ_SPAN_MS = 1_440 * MINUTE;

/** One deployment being baked (storeKeys.bake(id)), listed in storeKeys.bakes() until reported. */
export interface BakeRecord {
  id: string;
  model: string;
  version: string;
  endpoint: string;
  /** The deployed candidate, when the bot deployed it (the rollback button needs it). */
  candidateId?: string;
  /** The newest other deployed version when it went live: what a rollback restores. */
  previousVersion?: string;
  /** When the deployment started (the window before it ends here). */
  deployStartedAt: string;
  /** When deployment.succeeded was applied: the bake window starts here. */
  succeededAt: string;
  dueAt: string;
  minutes: number;
  thresholds: BakeThresholds;
  /** The run's thread (where the report goes) or the model's channel. */
  target: MessageTarget;
  /** The training run whose thread `target` is: its top message shows the verdict ("live, baked"). */
  runKey?: string;
  state: 'baking' | 'reported';
  /** A CloudWatch alarm on the endpoint went to ALARM during the bake: it ends at once, degraded. */
  alarm?: { name: string; reason: string; at: string };
  /** GetMetricData failures so far (the first is said in the thread; the bake is retried). */
  failures: number;
  verdict?: BakeVerdict['kind'];
}

export interface BakeWatch {
  /** A recorded deployment.* event (after the deployments feature applied it): deployment.succeeded starts a bake. Idempotent. */
  applyPipelineEvent(event: PipelineEvent): Promise<void>;
  /** A recorded CloudWatch alarm: ALARM on an endpoint being baked ends its bake as degraded. Idempotent. */
  applyAlarm(alarm: AlarmAlert): Promise<void>;
  job: LeasedJob<number>;
}

/**
 * Where a deployment's follow-ups go: the thread of the training run that produced it (then
 * `runKey` names that run), else under its card, else the channel.
 */
export async function candidateThread(
  deps: Pick<BotDeps, 'runs'>,
  candidate: Pick<DeploymentCandidate, 'run' | 'message'> | undefined,
  channel: string,
): Promise<{ target: MessageTarget; runKey?: string }> {
  const runKey = candidate?.run?.runId !== undefined ? `run:${candidate.run.runId}` : undefined;
  const run = runKey !== undefined ? await deps.runs.get(runKey) : undefined;
  if (runKey !== undefined && run?.channel === channel && run.ts !== undefined && run.ts !== '') return { target: { channel, threadTs: run.ts }, runKey };
  if (candidate?.message?.channel === channel) return { target: { channel, threadTs: candidate.message.ts } };
  return { target: { channel } };
}

type BakeDeps = Pick<BotDeps, 'config' | 'store' | 'logger' | 'clock' | 'inspector' | 'recordMessage' | 'candidates' | 'production' | 'runs' | 'deployments'>;

/**
 * The bake after every deployment.succeeded (issue 14): scheduled in the store (survives restarts),
 * judged by one replica (a leased job) once `bake.minutes` passed or an alarm fired, and reported
 * through the outbox exactly once (recorded by key). CloudWatch failing means "no verdict yet",
 * said once and retried, never a guessed "healthy".
 */
export function createBakeWatch(deps: BakeDeps, options: { intervalMs?: number } = {}): BakeWatch {
  const log = deps.logger.child({ component: BAKE_JOB });
  const config = deps.config.file;

  async function applyPipelineEvent(event: PipelineEvent): Promise<void> {
    if (event.type !== 'deployment.succeeded' || event.version === undefined) return;
    const model = config.models[event.model];
    const endpoint = model?.endpoint ?? event.endpoint;
    const channel = model?.channel ?? config.slack.defaultChannel;
    if (model === undefined || endpoint === undefined || channel === undefined) return;
    const candidate = await findDeploymentCandidate(deps.candidates, event);
    if (candidate?.abortedBy !== undefined) return; // an aborted rollout's late success: the rollback is baked instead
    if (isUnpromotedShadow(candidate)) return; // a shadow takes no production traffic: baked once promoted
    const id = candidate?.id ?? `${event.model}@${event.version}`;
    const existing = await deps.store.get(storeKeys.bake(id));
    if (existing !== null) {
      // A repeat of the event. It also heals a crash between the record and the worklist write below.
      if ((JSON.parse(existing) as BakeRecord).state === 'baking') await deps.store.setAdd(storeKeys.bakes(), id);
      return;
    }
    const bake = model.bake ?? BAKE_DEFAULTS;
    const now = deps.clock.now();
    const previousVersion = (await deps.production.history(event.model)).find((r) => r.version !== event.version)?.version;
    const deployStartedAt = candidate?.triggerConfirmedAt ?? candidate?.decidedAt ?? event.timestamp;
    const thread = await candidateThread(deps, candidate, channel);
    const record: BakeRecord = {
      id,
      model: event.model,
      version: event.version,
      endpoint,
      ...(candidate !== undefined ? { candidateId: candidate.id } : {}),
      ...(previousVersion !== undefined ? { previousVersion } : {}),
      deployStartedAt,
      succeededAt: now.toISOString(),
      dueAt: new Date(now.getTime() + bake.minutes * MINUTE).toISOString(),
      minutes: bake.minutes,
      thresholds: { maxLatencyIncrease: bake.maxLatencyIncrease, max5xxRate: bake.max5xxRate },
      target: thread.target,
      ...(thread.runKey !== undefined ? { runKey: thread.runKey } : {}),
      state: 'baking',
      failures: 0,
    };
    if (await deps.store.setIfAbsent(storeKeys.bake(id), JSON.stringify(record), BAKE_TTL_MS)) {
      log.info({ bake: id, model: record.model, version: record.version, dueAt: record.dueAt }, 'bake started');
    }
    await deps.store.setAdd(storeKeys.bakes(), id);
  }

  async function applyAlarm(alarm: AlarmAlert): Promise<void> {
    if (alarm.state !== 'ALARM' || alarm.endpoint === undefined) return;
    for (const id of await deps.store.setMembers(storeKeys.bakes())) {
      await updateJson<BakeRecord>(deps.store, storeKeys.bake(id), BAKE_TTL_MS, (r) => {
        if (r?.state !== 'baking' || r.alarm !== undefined || r.endpoint !== alarm.endpoint) return undefined;
        if (Date.parse(alarm.changedAt) < Date.parse(r.succeededAt)) return undefined; // an alarm from before this deployment
        return { ...r, alarm: { name: alarm.alarmName, reason: alarm.reason, at: alarm.changedAt } };
      });
    }
  }

  /** The two windows, widened to whole minutes (CloudWatch's resolution): before the deployment, and the bake. */
  function windows(r: BakeRecord, now: Date): { before: [Date, Date]; during: [Date, Date] } {
    const floor = (t: number) => new Date(Math.floor(t / MINUTE) * MINUTE);
    const ceil = (t: number) => new Date(Math.ceil(t / MINUTE) * MINUTE);
    const start = Date.parse(r.succeededAt);
    const end = r.alarm !== undefined ? Math.min(now.getTime(), Math.max(start, Date.parse(r.alarm.at))) : Math.min(now.getTime(), Date.parse(r.dueAt));
    const length = Math.max(MINUTE, end - start);
    const deployStart = Date.parse(r.deployStartedAt);
    return {
      before: [floor(deployStart - length), floor(deployStart)],
      during: [floor(start), ceil(Math.max(end, start + MINUTE))],
    };
  }

  async function judge(r: BakeRecord, now: Date): Promise<void> {
    const blog = log.child({ bake: r.id, model: r.model, version: r.version });
    let before: BakeFigures;
    let during: BakeFigures;
    try {
      if (deps.inspector === undefined) throw new Error('no AWS access is configured');
      const w = windows(r, now);
      const inspector = deps.inspector;
      const read = (from: Date, to: Date) => inspector.endpointMetrics(r.endpoint, [], from, to, 60, { latencyP50: true });
      // One read covers both windows at 1-minute points while they are close; a deployment reported
      // long after it started (or a late event) would widen the period past a short bake window, so
      // then each window is read on its own.
      const [beforeSeries, duringSeries]: [MetricSeries[], MetricSeries[]] =
        w.during[1].getTime() - w.before[0].getTime() <= ONE_READ_SPAN_MS
          ? await read(w.before[0], w.during[1]).then((all) => [all, all])
          : await Promise.all([read(...w.before), read(...w.during)]);
      before = figuresOf(beforeSeries, ...w.before);
      during = figuresOf(duringSeries, ...w.during);
    } catch (error) {
      const problem = isMlopsError(error) || error instanceof Error ? error.message : 'unexpected error';
      blog.warn({ err: error }, 'bake: CloudWatch could not be read; retrying');
      if (r.failures === 0) {
        await deps.recordMessage(
          `bake:${r.id}:unavailable`,
          { type: 'bake-report', message: bakeUnavailableView({ ...r, problem }), targets: [r.target], model: r.model },
          now,
        );
      }
      await updateJson<BakeRecord>(deps.store, storeKeys.bake(r.id), BAKE_TTL_MS, (x) => (x === undefined ? undefined : { ...x, failures: x.failures + 1 }));
      return;
    }
    const figuresVerdict = bakeVerdict(before, during, r.thresholds);
    // An alarm ends the bake as degraded whatever the figures say (they are listed beside it).
    const verdict: BakeVerdict =
      r.alarm !== undefined ? { kind: 'degraded', reasons: figuresVerdict.kind === 'degraded' ? figuresVerdict.reasons : [] } : figuresVerdict;
    const view = {
      model: r.model,
      version: r.version,
      endpoint: r.endpoint,
      minutes: r.minutes,
      thresholds: r.thresholds,
      before,
      during,
      verdict,
      ...(r.alarm !== undefined ? { alarm: r.alarm } : {}),
    };
    // The run's top message says it too: noted on the run first, so that the outbox's re-render of the
    // thread root after this reply (updateRun) shows it; a later stage of the run drops it.
    if (r.runKey !== undefined) {
      await deps.runs.update(r.runKey, (run) =>
        run.stage !== 'live' || run.baked === verdict.kind ? undefined : { ...run, baked: verdict.kind, updatedAt: now.toISOString() },
      );
    }
    const target: MessageTarget = r.runKey !== undefined ? { ...r.target, updateRun: r.runKey } : r.target;
    // Recorded by key: a crash before the state below is saved records nothing twice.
    await deps.recordMessage(`bake:${r.id}:report`, { type: 'bake-report', message: bakeReportView(view), targets: [target], model: r.model }, now);
    const alertChannel = config.slack.alertChannel;
    if (verdict.kind === 'degraded' && alertChannel !== undefined) {
      const rollback =
        r.candidateId !== undefined && r.previousVersion !== undefined ? { rollback: { candidateId: r.candidateId, toVersion: r.previousVersion } } : {};
      await deps.recordMessage(
        `bake:${r.id}:alert`,
        { type: 'bake-report', message: bakeReportView({ ...view, ...rollback }), targets: [{ channel: alertChannel }], model: r.model },
        now,
      );
    }
    await updateJson<BakeRecord>(deps.store, storeKeys.bake(r.id), BAKE_TTL_MS, (x) =>
      x === undefined ? undefined : { ...x, state: 'reported', verdict: verdict.kind },
    );
    await deps.store.setRemove(storeKeys.bakes(), r.id);
    if (r.candidateId !== undefined) await deps.deployments.noteBake(r.candidateId, verdict.kind, blog);
    blog.info({ verdict: verdict.kind }, 'bake reported');
  }

  const job = leasedJob<number>({
    name: BAKE_JOB,
    store: deps.store,
    logger: deps.logger,
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseTtlMs: 30_000,
    intervalMs: options.intervalMs ?? 2000,
    runAtStart: true,
    stopWaitMs: 3000,
    releaseAtStop: 'after-wait',
    // -1: no pass ran here (lease held elsewhere, stopping); a pass returns how many bakes it judged.
    idle: () => -1,
    async pass(turn) {
      let judged = 0;
      for (const id of await deps.store.setMembers(storeKeys.bakes())) {
        if (turn.stopping() || !(await turn.keep())) break;
        const raw = await deps.store.get(storeKeys.bake(id));
        const r = raw === null ? undefined : (JSON.parse(raw) as BakeRecord);
        if (r?.state !== 'baking') {
          await deps.store.setRemove(storeKeys.bakes(), id);
          continue;
        }
        const now = deps.clock.now();
        if (r.alarm === undefined && now.getTime() < Date.parse(r.dueAt)) continue;
        await judge(r, now);
        judged++;
      }
      return judged;
    },
  });

  return { applyPipelineEvent, applyAlarm, job };
}
