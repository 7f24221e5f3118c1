import { escapeMrkdwn, truncate, type KnownBlock, type SlackMessage } from './slack-message';

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
  const text = `${verb} ${input.model} requested by <@${input.requestedBy}> (run ${input.runId})`;
  const params = Object.entries(input.params);
  const context = [`DAG \`${escapeMrkdwn(input.dagId)}\``];
  if (params.length > 0) context.push(`params ${params.map(([k, v]) => `\`${escapeMrkdwn(k)}=${escapeMrkdwn(truncate(v, 100))}\``).join(' ')}`);
  context.push('pipeline updates follow in this thread');
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `:hammer_and_wrench: *${verb.charAt(0).toUpperCase()}${verb.slice(1)}* of *${escapeMrkdwn(input.model)}* requested by <@${input.requestedBy}> (run \`${escapeMrkdwn(input.runId)}\`)` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context.join(' · '), 3000) }] },
  ];
  return { text, blocks };
}
