import type { App } from '@slack/bolt';
import { registerCommands } from '../../commands/register-commands';
import type { BotDeps } from '../bot-deps';
import type { BackgroundJob } from '../background-job';
import type { RecordedEvent } from '../delivery/record-event';
import type { HttpRoute } from '../http/create-http-server';

export interface ListenerWiring {
  /** Subscribers to "an event was just recorded" (wake the delivery worker). */
  onRecorded: ((recorded: RecordedEvent) => void)[];
}

/**
 * Registers every Slack listener (commands, actions, view submissions, events), each folder
 * registering its own, and returns the background jobs and extra HTTP routes they bring.
 */
export function registerListeners(app: App, deps: BotDeps, _wiring: ListenerWiring): { jobs: BackgroundJob[]; routes: HttpRoute[] } {
  const jobs: BackgroundJob[] = [];
  const routes: HttpRoute[] = [];
  registerCommands(app, deps);
  return { jobs, routes };
}
