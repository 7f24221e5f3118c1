import { escapeTruncate } from './escape-truncate';

/** A Slack date token: shown in each reader's own time zone, with an ISO fallback. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeTruncate(iso, 40);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString().replace('.000Z', 'Z')}>`;
}
