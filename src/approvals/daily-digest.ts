import type { BotDeps } from '../bot-deps';
import { digestDue, type DigestSchedule } from '../core/digest-schedule';
import { parseLastFailure } from '../core/parse-last-failure';
import { summarizeDrift } from '../drift';
import { collectEndpointSummaries } from '../endpoints';
import { leasedJob, type LeasedJob } from '../jobs/leased-job';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import { dailyDigestView, isDigestEmpty, type DailyDigestInput } from '../../views/daily-digest-view';

export const DAILY_DIGEST_JOB = 'daily-digest';
const DEFAULT_INTERVAL_MS = 60_000;
const STOP_WAIT_MS = 5000;
/** A day's marker outlives the day (and a week of restarts) and then goes. */
const DAY_MARKER_TTL_MS = 8 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DailyDigestReport {
  leader: boolean;
  /** The local day looked at, and what happened to its digest in this pass. */
  day?: string;
  outcome: 'not_due' | 'already_handled' | 'sent' | 'skipped_empty' | 'idle';
}

export type DailyDigest = LeasedJob<DailyDigestReport>;

/** The outbox key of a day's digest: recorded once, whoever records it and however often. */
export const digestKey = (channel: string, day: string) => `daily-digest:${channel}:${day}`;

/**
 * The daily digest (issue 16, contract 10): once per local day, after `digest.time` in
 * `digest.timezone`, the replica holding the lease gathers pending approvals (with their age),
 * failures, drift alerts and deployments of the last 24 hours and the endpoints not InService, and posts one
 * message to `digest.channel` through the outbox; nothing when there is nothing to say. Exactly
 * once per day: the message is recorded under the day's outbox key first, then the day is marked
 * handled; a crash or a second replica in between records the same key again (ignored). The day
 * is the local calendar date, so daylight saving changes neither skip nor repeat a digest.
 */
export function createDailyDigest(
  deps: BotDeps,
  digest: DigestSchedule & { channel: string },
  options: { instanceId?: string; intervalMs?: number } = {},
): DailyDigest {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const log = deps.logger.child({ component: DAILY_DIGEST_JOB });

  async function gather(day: string, now: Date, plog: Logger): Promise<DailyDigestInput> {
    const since = now.getTime() - DAY_MS;
    const models = Object.keys(deps.config.file.models);
    const [perModel, audit, endpoints] = await Promise.all([
      Promise.all(
        models.map(async (model) => ({
          model,
          candidates: await deps.candidates.listByModel(model),
          failure: await deps.store.get(storeKeys.lastFailure(model)),
          drift: await summarizeDrift(deps, model, new Date(since), now),
        })),
      ),
      deps.audit.recent(undefined, 500),
      deps.inspector !== undefined ? collectEndpointSummaries(deps, now, plog) : Promise.resolve([]),
    ]);
    const pending = perModel
      .flatMap(({ candidates }) => candidates.filter((c) => c.state === 'pending'))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((c) => ({
        model: c.model,
        version: c.version,
        createdAt: c.createdAt,
        approvals: new Set(c.approvals.map((a) => a.userId)).size,
        required: c.requiredApprovals,
        ...(c.message !== undefined ? { channel: c.message.channel, ts: c.message.ts } : {}),
      }));
    const failures = perModel.flatMap(({ model, failure }) => {
      const f = parseLastFailure(failure);
      return f?.at !== undefined && Date.parse(f.at) >= since
        ? [{ model, at: f.at, message: f.message, ...(f.type !== undefined ? { type: f.type } : {}) }]
        : [];
    });
    const deployments = audit
      .filter((e) => e.action === 'deployed' && Date.parse(e.at) >= since && e.version !== undefined)
      .map((e) => ({ model: e.model, version: e.version ?? '', at: e.at, actor: e.actor }));
    return {
      day,
      now,
      pending,
      failures,
      endpoints: endpoints
        .filter((e) => e.status !== 'InService')
        .map((e) => ({ endpoint: e.endpoint, model: e.model, ...(e.status !== undefined ? { status: e.status } : {}) })),
      deployments,
      drift: perModel.flatMap(({ drift }) => drift),
    };
  }

  return leasedJob<DailyDigestReport>({
    name: DAILY_DIGEST_JOB,
    store: deps.store,
    logger: deps.logger,
    ...(options.instanceId !== undefined ? { holder: options.instanceId } : {}),
    intervalMs,
    runAtStart: true,
    stopWaitMs: STOP_WAIT_MS,
    releaseAtStop: 'before-wait',
    idle: () => ({ leader: false, outcome: 'idle' }),
    async pass() {
      const now = deps.clock.now();
      const { day, due } = digestDue(now, digest);
      if (!due) return { leader: true, day, outcome: 'not_due' };
      const marker = storeKeys.digestDay(digest.channel, day);
      if ((await deps.store.get(marker)) !== null) return { leader: true, day, outcome: 'already_handled' };
      const plog = log.child({ day });
      const input = await gather(day, now, plog);
      const empty = isDigestEmpty(input);
      if (!empty) {
        await deps.recordMessage(
          digestKey(digest.channel, day),
          { type: 'digest', message: dailyDigestView(input), targets: [{ channel: digest.channel }] },
          now,
        );
      }
      await deps.store.set(marker, JSON.stringify({ at: now.toISOString(), sent: !empty }), DAY_MARKER_TTL_MS);
      plog.info(
        { empty, pending: input.pending.length, failures: input.failures.length, drift: input.drift.length },
        empty ? 'daily digest skipped: nothing to say' : 'daily digest recorded',
      );
      return { leader: true, day, outcome: empty ? 'skipped_empty' : 'sent' };
    },
  });
}
