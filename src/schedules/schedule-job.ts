import type { BotDeps } from '../bot-deps';
import { ErrorCode, isMlopsError } from '../core/errors';
import { decideSlot, scheduledRunId, type ScheduleSpec } from '../core/retrain-schedule';
import { leasedJob, type LeasedJob, type LeaseTurn } from '../jobs/leased-job';
import { requestTraining } from '../training';
import { readScheduleState, updateScheduleState, type ScheduleState } from './schedule-state';

export const SCHEDULE_JOB = 'retrain-schedules';
const DEFAULT_INTERVAL_MS = 30_000;
const STOP_WAIT_MS = 5000;

export interface ScheduleJobOptions {
  intervalMs?: number;
  instanceId?: string;
}

export interface ScheduleTickReport {
  leader: boolean;
  started: number;
  skipped: number;
  failed: number;
}

/**
 * The retraining schedules the bot owns (models.<m>.retrainSchedule, contract 9): one leased
 * job (one replica at a time) whose pass looks, per model, at the due slots since the stored
 * cursor and starts at most one training run for them — the latest due slot, so slots missed
 * while every replica was down run once on recovery (catchUp) or are skipped. The run id is
 * derived from model + slot (scheduledRunId), so a replica that takes over mid-slot, a restart or
 * a lapsed lease names the same run: the run record is checked first, the trigger is idempotent
 * on it, and the "scheduled retraining" message is keyed by it in the outbox.
 * A schedule seen for the first time starts from now (nothing before the bot knew it runs).
 * A paused schedule moves its cursor without running (no catch-up of paused slots on resume).
 */
export function createScheduleJob(deps: BotDeps, options: ScheduleJobOptions = {}): LeasedJob<ScheduleTickReport> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const log = deps.logger.child({ component: SCHEDULE_JOB });

  async function pass(turn: LeaseTurn): Promise<ScheduleTickReport> {
    const report: ScheduleTickReport = { leader: true, started: 0, skipped: 0, failed: 0 };
    for (const [model, config] of Object.entries(deps.config.file.models)) {
      if (config.retrainSchedule === undefined) continue;
      if (turn.stopping() || !(await turn.keep())) break;
      const outcome = await handleModel(model, config.retrainSchedule);
      if (outcome === 'started') report.started++;
      else if (outcome === 'skipped') report.skipped++;
      else if (outcome === 'failed') report.failed++;
    }
    return report;
  }

  async function handleModel(model: string, spec: ScheduleSpec): Promise<string> {
    const now = deps.clock.now();
    const mlog = log.child({ model });
    const state = await readScheduleState(deps.store, model);
    if (state === undefined) {
      await updateScheduleState(deps.store, model, (s) => s ?? { cursor: now.toISOString() });
      return 'initialized';
    }
    const decision = decideSlot(spec, new Date(state.cursor), now);
    if (decision.kind === 'none') return 'none';
    if (state.paused !== undefined || decision.kind === 'skip') {
      const slot = decision.kind === 'skip' ? decision.latest : decision.slot;
      const note = state.paused !== undefined ? 'paused' : `${decision.missed} slot(s) missed while the bot was down; catchUp is off`;
      await advance(model, state.cursor, now, { slot: slot.toISOString(), outcome: state.paused !== undefined ? 'skipped' : 'missed', note });
      mlog.info({ slot: slot.toISOString(), note }, 'schedule: slot not run');
      return 'skipped';
    }
    const slot = decision.slot.toISOString();
    const runId = scheduledRunId(model, decision.slot);
    // Started already (a replica that lost its lease, a crash before the cursor moved): do not start it again.
    if ((await deps.runs.get(`run:${runId}`)) !== undefined) {
      await advance(model, state.cursor, now, { slot, runId, outcome: 'started' });
      return 'none';
    }
    const channelId = deps.config.file.models[model]?.channel ?? deps.config.file.slack.defaultChannel ?? '';
    try {
      const outcome = await requestTraining(deps, {
        model,
        retrain: true,
        params: {},
        userId: 'schedule',
        channelId,
        origin: { reason: 'schedule', slot },
        runId,
        log: mlog,
      });
      if (outcome.kind === 'needs-confirmation') {
        // No one to ask: the slot is skipped while the previous run has no outcome (the duplicate guard of /mlops train).
        const note = `run ${outcome.previous.runId} (requested by ${outcome.previous.requestedBy}) has no outcome yet`;
        await advance(model, state.cursor, now, { slot, outcome: 'skipped', note });
        mlog.warn({ slot, previousRun: outcome.previous.runId }, 'schedule: slot skipped, the previous run is still open');
        return 'skipped';
      }
      const confirming = outcome.started.confirming !== undefined;
      await advance(model, state.cursor, now, { slot, runId, outcome: confirming ? 'confirming' : 'started' });
      mlog.info({ slot, run: runId, missed: decision.missed }, 'schedule: training started');
      return 'started';
    } catch (error) {
      if (!isMlopsError(error) || error.code === ErrorCode.StoreUnavailable) throw error;
      await advance(model, state.cursor, now, { slot, runId, outcome: 'failed', note: error.message.slice(0, 500) });
      mlog.error({ err: error, slot }, 'schedule: the scheduled run could not be started');
      return 'failed';
    }
  }

  /** Moves the cursor to `now` if no one else moved it meanwhile (compare on the cursor read). */
  async function advance(model: string, from: string, now: Date, last: ScheduleState['last']) {
    await updateScheduleState(deps.store, model, (s) =>
      s?.cursor !== from ? undefined : { ...s, cursor: now.toISOString(), ...(last !== undefined ? { last } : {}) },
    );
  }

  return leasedJob<ScheduleTickReport>({
    name: SCHEDULE_JOB,
    store: deps.store,
    logger: deps.logger,
    ...(options.instanceId !== undefined ? { holder: options.instanceId } : {}),
    intervalMs,
    // A restart acts at once on the slot that fell due while it was down.
    runAtStart: true,
    stopWaitMs: STOP_WAIT_MS,
    // A successor must not start the slot this replica is still starting (same run id, but one message is enough).
    releaseAtStop: 'after-wait',
    idle: () => ({ leader: false, started: 0, skipped: 0, failed: 0 }),
    pass,
  });
}
