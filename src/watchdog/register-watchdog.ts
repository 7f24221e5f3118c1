import type { BackgroundJob } from '../jobs/leased-job';
import type { BotDeps } from '../bot-deps';
import { createRunWatchdog } from './run-watchdog';

/**
 * The run watchdog (issue 7): on unless `watchdog.enabled: false`; it needs a trigger to ask
 * (config `trigger`), so without one it stays off and says so.
 */
export function registerWatchdog(deps: BotDeps): BackgroundJob[] {
  if (!deps.config.file.watchdog.enabled) {
    deps.logger.info({ component: 'watchdog' }, 'run watchdog disabled (watchdog.enabled: false)');
    return [];
  }
  if (deps.trigger === undefined) {
    deps.logger.info({ component: 'watchdog' }, 'run watchdog off: no `trigger` in the config file to ask about runs');
    return [];
  }
  return [createRunWatchdog(deps, deps.trigger)];
}
