import type { PipelineEvent } from '../src/core/pipeline-event';
import { slackLink } from './slack-link';

/** Context elements with the event's links (run, logs, dashboard…), one per element, at most `max`. */
export function eventLinks(event: Pick<PipelineEvent, 'run' | 'links' | 'error'>, max = 6): { type: 'mrkdwn'; text: string }[] {
  const links: string[] = [];
  const add = (url: string | undefined, label: string) => {
    if (url === undefined || links.length >= max) return;
    const link = slackLink(url, label);
    if (link !== undefined) links.push(link);
  };
  add(event.run?.url, 'run');
  add(event.error?.logUrl, 'logs');
  for (const [name, url] of Object.entries(event.links ?? {})) add(url, name);
  return links.map((text) => ({ type: 'mrkdwn' as const, text }));
}
