import type { BackgroundJob } from '../background-job';
import type { BotDeps } from '../bot-deps';

/** The run watchdog (issue 7). */
export function registerWatchdog(_deps: BotDeps): BackgroundJob[] {
  return [];
}
