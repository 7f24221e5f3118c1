import type { BotDeps } from '../bot-deps';
import type { HomeViewInput } from '../../views/home-view';
import { collectEndpointSummaries } from '../endpoints/collect-endpoint-summaries';
import { collectModelOverviews } from './collect-model-overviews';
import { STATUS_WINDOW_MINUTES } from '../endpoints/inspect-endpoint';

const RECENT_ACTIVITY = 10;

/**
 * Everything the Home tab shows, gathered concurrently: models (from the store), endpoints
 * (SageMaker + CloudWatch, bounded, each endpoint's failure contained) and recent activity.
 */
export async function collectDashboard(deps: BotDeps, now: Date): Promise<HomeViewInput> {
  const [models, endpoints, recent] = await Promise.all([
    // The Home tab skips ListModels: one AWS call per model on every tab open is not worth it.
    collectModelOverviews(deps, { sagemaker: false }),
    collectEndpointSummaries(deps, now),
    deps.audit.recent(undefined, RECENT_ACTIVITY),
  ]);
  return { now, models, endpoints, recent, windowMinutes: STATUS_WINDOW_MINUTES };
}
