import type { BotDeps } from '../bot-deps';
import { listSchedules } from '../schedules';
import type { Logger } from '../observability/create-logger';
import type { HomeViewInput } from '../../views/home-view';
import { collectEndpointSummaries, STATUS_WINDOW_MINUTES } from '../endpoints';
import type { Candidate } from '../core/candidate';
import { isMlopsError } from '../core/errors';
import { mapWithConcurrency } from '../core/map-with-concurrency';
import { parseLastFailure } from '../core/parse-last-failure';
import { storeKeys } from '../store/store-keys';
import type { ModelOverview } from '../../views/model-overview-text';

const RECENT_ACTIVITY = 10;

/**
 * Everything the Home tab shows, gathered concurrently: models (from the store), endpoints
 * (SageMaker + CloudWatch, bounded, each endpoint's failure contained) and recent activity.
 */
export async function collectDashboard(deps: BotDeps, now: Date, log: Logger): Promise<HomeViewInput> {
  const scheduledModels = Object.entries(deps.config.file.models)
    .filter(([, m]) => m.retrainSchedule !== undefined)
    .map(([name]) => name);
  const [models, endpoints, recent, schedules] = await Promise.all([
    // The Home tab skips ListModels: one AWS call per model on every tab open is not worth it.
    collectModelOverviews(deps, { sagemaker: false }, log),
    collectEndpointSummaries(deps, now, log),
    deps.audit.recent(undefined, RECENT_ACTIVITY),
    listSchedules(deps, scheduledModels, 1),
  ]);
  return {
    now,
    models,
    endpoints,
    recent,
    windowMinutes: STATUS_WINDOW_MINUTES,
    ...(schedules.length > 0
      ? {
          schedules: schedules.map((s) => ({
            model: s.model,
            ...(s.next[0] !== undefined ? { next: s.next[0] } : {}),
            ...(s.paused !== undefined ? { paused: true } : {}),
          })),
        }
      : {}),
  };
}

const MODEL_CONCURRENCY = 4;

/**
 * What the bot knows of each configured model: deployed version, latest candidate, candidates
 * waiting for approval, last failure, and (with `sagemaker: true`) the newest SageMaker model
 * of that name. Store errors fail the call; an AWS error only marks SageMaker unavailable.
 */
export async function collectModelOverviews(deps: BotDeps, opts: { sagemaker: boolean }, log: Logger): Promise<ModelOverview[]> {
  const models = Object.entries(deps.config.file.models);
  return mapWithConcurrency(models, MODEL_CONCURRENCY, async ([model, config]) => {
    const [deployed, candidates, failureRaw, sagemaker] = await Promise.all([
      deps.production.current(model),
      deps.candidates.listByModel(model),
      deps.store.get(storeKeys.lastFailure(model)),
      opts.sagemaker ? newestSagemakerModel(deps, model, log) : Promise.resolve(undefined),
    ]);
    const overview: ModelOverview = { model, pending: candidates.filter(isWaiting).map(pendingOf) };
    if (config.channel !== undefined) overview.channel = config.channel;
    if (config.endpoint !== undefined) overview.endpoint = config.endpoint;
    if (deployed !== undefined) overview.deployed = { version: deployed.version, deployedAt: deployed.deployedAt };
    const latest = candidates.at(-1);
    if (latest !== undefined) {
      const primary = config.primaryMetric;
      const value = primary !== undefined ? latest.metrics[primary] : undefined;
      overview.latestCandidate = {
        version: latest.version,
        state: latest.state,
        createdAt: latest.evaluatedAt ?? latest.createdAt,
        ...(primary !== undefined && typeof value === 'number' ? { primaryMetric: { name: primary, value } } : {}),
      };
    }
    const failure = parseLastFailure(failureRaw);
    if (failure !== undefined) overview.lastFailure = failure;
    if (sagemaker !== undefined) overview.sagemaker = sagemaker;
    return overview;
  });
}

/** Waiting for (more) approvals: a candidate stays `pending` until its last required approval. */
function isWaiting(c: Candidate): boolean {
  return c.state === 'pending';
}

function pendingOf(c: Candidate): ModelOverview['pending'][number] {
  return {
    version: c.version,
    candidateId: c.id,
    approvals: c.approvals.length,
    required: c.requiredApprovals,
    ...(c.message !== undefined ? { channel: c.message.channel, ts: c.message.ts } : {}),
  };
}

async function newestSagemakerModel(deps: BotDeps, model: string, log: Logger): Promise<ModelOverview['sagemaker']> {
  if (deps.inspector === undefined) return undefined;
  try {
    const [newest] = await deps.inspector.listModels(model, 1);
    return newest === undefined
      ? { ok: true }
      : { ok: true, latest: { name: newest.name, ...(newest.createdAt !== undefined ? { createdAt: newest.createdAt.toISOString() } : {}) } };
  } catch (error) {
    log.warn({ err: error, model }, 'SageMaker ListModels failed');
    return { ok: false, reason: isMlopsError(error) ? error.message : 'unexpected error (logged)' };
  }
}
