import { escapeTruncate, userMention, inlineCode, escapeMrkdwn } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface TrainingRequestedViewInput {
  model: string;
  dagId: string;
  runId: string;
  requestedBy: string;
  retrain: boolean;
  params: Readonly<Record<string, string>>;
}

/**
 * The in-channel message of `/mlops train|retrain`: "training fraud-detector requested by <@U…>
 * (run …)". The run's pipeline events thread under it.
 */
export function trainingRequestedView(input: TrainingRequestedViewInput): SlackMessage {
  const verb = input.retrain ? 'retraining' : 'training';
  const who = userMention(input.requestedBy);
  const text = `${verb} ${escapeTruncate(input.model, 100)} requested by ${who} (run ${escapeTruncate(input.runId, 260)})`;
  const params = Object.entries(input.params);
  const context = [`DAG \`${escapeMrkdwn(input.dagId)}\``];
  if (params.length > 0) context.push(`params ${params.map(([k, v]) => inlineCode(`${truncate(k, 60)}=${truncate(v, 100)}`, 400)).join(' ')}`);
  context.push('pipeline updates follow in this thread');
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:hammer_and_wrench: *${verb.charAt(0).toUpperCase()}${verb.slice(1)}* of *${escapeMrkdwn(input.model)}* requested by ${who} (run ${inlineCode(input.runId, 260)})`,
      },
    },
    // Cut whole params, never inside an entity or a code span.
    { type: 'context', elements: [{ type: 'mrkdwn', text: fitJoin(context, ' · ', 3000) }] },
  ];
  return fitMessage({ text, blocks });
}

/** Joins parts while they fit in `max` characters, with "…" when some are left out. */
function fitJoin(parts: readonly string[], separator: string, max: number): string {
  let out = '';
  for (const part of parts) {
    const next = out === '' ? part : `${out}${separator}${part}`;
    if (next.length > max - 2) return `${out} …`;
    out = next;
  }
  return out;
}
