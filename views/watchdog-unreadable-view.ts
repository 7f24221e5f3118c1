import { truncate, type SlackMessage } from './slack-message';
import { escapeMrkdwn } from './format';

/** The run watchdog cannot read a run's state (every check failed for a while): one alert. */
export interface WatchdogUnreadableInput {
  model: string;
  dagId?: string;
  runId?: string;
  /** Minutes since the run started. */
  minutes: number;
  /** Minutes since the first failed check. */
  unreadableMinutes: number;
  /** Stable error code of the last failed check (MLOPS_…). */
  code: string;
  /** The last error's message (from AWS or Airflow: shown, never interpreted). */
  error: string;
  /** What the watchdog asks (Lambda function or MWAA environment), in plain words. */
  triggerKind: 'lambda' | 'mwaa';
  /** When the watchdog looked (the view does not read the clock). */
  now: Date;
}

function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Inline code of outside text: escaped, backticks neutralised, bounded. */
function code(text: string, max = 250): string {
  return `\`${escapeMrkdwn(truncate(text.replace(/`/g, "'").replace(/\s+/g, ' '), max))}\``;
}

export function watchdogUnreadableView(input: WatchdogUnreadableInput): SlackMessage {
  const run = `${input.runId !== undefined ? `run ${code(input.runId)}` : 'a run'}${input.dagId !== undefined ? ` of DAG ${code(input.dagId)}` : ''}`;
  const plainRun = truncate(`${input.runId ?? 'run'}${input.dagId !== undefined ? ` of ${input.dagId}` : ''}`, 300);
  const where = input.triggerKind === 'mwaa' ? 'the MWAA environment (InvokeRestApi)' : 'the DAG-trigger Lambda function';
  const checked = `<!date^${Math.floor(input.now.getTime() / 1000)}^{date_short_pretty} {time}|${input.now.toISOString()}>`;
  return {
    // The fallback text carries no outside text but ids, escaped like the blocks.
    text: `:warning: ${escapeMrkdwn(truncate(input.model, 200))}: the run watchdog cannot read the state of run ${escapeMrkdwn(plainRun)} (${input.code}, for ${duration(input.unreadableMinutes)})`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `:warning: *${escapeMrkdwn(truncate(input.model, 200))}: run state cannot be read*\n` +
              `For ${duration(input.unreadableMinutes)}, every check of ${run} (started ${duration(input.minutes)} ago) failed, so a silent failure would go unnoticed. ` +
              `Check ${where} and the bot's permissions. I keep asking and will alert if the run turns out failed.`,
            3000,
          ),
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Last error* (${input.code})\n${code(input.error, 1500)}`, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Run watchdog · checked ${checked}` }] },
    ],
  };
}
