import { escapeTruncate, inlineCode, slackLink } from './format';
import { truncate, type KnownBlock, type SlackMessage } from './slack-message';

interface RunRef {
  model: string;
  dagId?: string;
  runId?: string;
  /** Link to the run (Airflow UI, pipeline), when known. */
  runUrl?: string;
  /** Minutes since the run started. */
  minutes: number;
  /** When the watchdog looked (the view does not read the clock). */
  now: Date;
}

/** The run watchdog's messages (src/watchdog): a failure alert, a "still running" note, a "cannot tell" note. */
export type WatchdogNoteInput =
  | (RunRef & { kind: 'failed' })
  | (RunRef & { kind: 'running'; state: 'queued' | 'running'; nextNoteInMinutes: number })
  | (RunRef & { kind: 'unknown'; reason: 'not-found' | 'unknown-state' | 'no-run-id'; raw?: string; stopWatchingAt?: Date });

/** "45 minutes", "2 h", "2 h 15 min". */
function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Slack renders the date in each reader's time zone; the ISO text is the fallback. */
function slackDate(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString()}>`;
}

/** Airflow ids are at most 250 characters; the state Airflow reports is kept short. */
function code(text: string, max = 250): string {
  return inlineCode(text, max);
}

/** The run id, linked to the run when its URL is a safe https link (the field stays under 2,000). */
function runLabel(input: RunRef): string {
  const id = input.runId ?? 'unknown run id';
  return (input.runUrl !== undefined ? slackLink(input.runUrl, id, 100) : undefined) ?? code(id);
}

function runPhrase(input: RunRef): string {
  const run = input.runId !== undefined ? `run ${runLabel(input)}` : 'this run';
  return input.dagId !== undefined ? `${run} of DAG ${code(input.dagId)}` : run;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, 3000) }] };
}

export function watchdogNoteView(input: WatchdogNoteInput): SlackMessage {
  const model = escapeTruncate(input.model, 100);
  // The fallback text is mrkdwn too: outside ids are escaped there as well.
  const plainRun = escapeTruncate(`${input.runId ?? 'run'}${input.dagId !== undefined ? ` of ${input.dagId}` : ''}`, 520);
  const checked = context(`Run watchdog · checked ${slackDate(input.now)}`);

  switch (input.kind) {
    case 'failed': {
      const fields: { type: 'mrkdwn'; text: string }[] = [
        { type: 'mrkdwn', text: `*Model*\n${model}` },
        { type: 'mrkdwn', text: `*DAG*\n${input.dagId !== undefined ? code(input.dagId) : '—'}` },
        { type: 'mrkdwn', text: `*Run*\n${input.runId !== undefined ? runLabel(input) : '—'}` },
        { type: 'mrkdwn', text: `*Started*\n${duration(input.minutes)} ago` },
      ];
      return {
        text: `:rotating_light: ${model}: run ${plainRun} failed without a failure callback (found by the run watchdog ${duration(input.minutes)} after it started)`,
        blocks: [
          section(
            `:rotating_light: *${model}: run failed without a failure callback*\n` +
              `Airflow reports ${runPhrase(input)} as *failed*, but the pipeline never reported the failure. ` +
              'Airflow skips failure callbacks when a worker is killed (out of memory, SIGKILL) or the DAG run times out: ' +
              "check the run's task logs in Airflow.",
          ),
          { type: 'section', fields },
          checked,
        ],
      };
    }
    case 'running': {
      const what = input.state === 'queued' ? 'still queued' : 'still running';
      return {
        text: `:hourglass_flowing_sand: ${model}: run ${plainRun} ${what} after ${duration(input.minutes)}`,
        blocks: [
          section(
            `:hourglass_flowing_sand: *${what[0]?.toUpperCase()}${what.slice(1)} after ${duration(input.minutes)}*: Airflow reports ${runPhrase(input)} as *${input.state}*, ` +
              `and no outcome has arrived yet. I'll note it again in ${duration(input.nextNoteInMinutes)} if it is still going.`,
          ),
          checked,
        ],
      };
    }
    case 'unknown': {
      let why: string;
      if (input.reason === 'no-run-id') {
        why = `it has no Airflow DAG run id, so I cannot ask Airflow about it. I have stopped watching it; if it finished, send its outcome event (for example \`training.failed\`).`;
      } else {
        why =
          input.reason === 'not-found'
            ? `Airflow does not know ${runPhrase(input)} (deleted, or started in another environment than the bot's trigger reads).`
            : `Airflow reports ${runPhrase(input)} in state ${code(input.raw ?? 'unknown', 100)}, which tells nothing about its outcome.`;
        why +=
          input.stopWatchingAt !== undefined
            ? ` I'll keep asking until ${slackDate(input.stopWatchingAt)}, then stop watching this run.`
            : ' I have stopped watching this run.';
      }
      return {
        text: `:grey_question: ${model}: no outcome for run ${plainRun} after ${duration(input.minutes)}, and its state cannot be read`,
        blocks: [section(`:grey_question: *No outcome after ${duration(input.minutes)}* for this ${model} run, and ${why}`), checked],
      };
    }
  }
}
