import { escapeMrkdwn, escapeTruncate, formatDuration, inlineCode, runReference, slackDate, slackLink, userMention } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

/** What `/mlops lineage` found; an absent piece is shown as unknown, never guessed. */
export interface LineageFacts {
  model: string;
  version?: string;
  /** The version is the one the production record says serves traffic. */
  serving: boolean;
  production?: { version: string; deployedAt: string };
  endpointName?: string;
  endpoint?: {
    status: string;
    config?: string;
    variants: { name: string; modelName?: string; instanceType?: string; instanceCount?: number; weight?: number }[];
  };
  candidate?: {
    id: string;
    state: string;
    evaluatedAt?: string;
    approvals: { userId: string; at: string }[];
    decidedBy?: string;
    decidedAt?: string;
    trainingRun?: { dagId?: string; runId?: string; url?: string };
    trainingJob?: string;
    lineage?: { commit?: string; image?: string; data?: string };
  };
  deploymentRun?: { dagId?: string; runId: string };
  trainingJob?: {
    name: string;
    status: string;
    image?: string;
    inputChannels?: { name: string; s3Uri?: string }[];
    hyperParameters?: Record<string, string>;
    instanceType?: string;
    instanceCount?: number;
    billableSeconds?: number;
  };
  /** What started the training run besides a person (a drift alert's Retrain, a schedule). */
  origin?: { reason: 'drift'; driftAlertId: string; signal?: string } | { reason: 'schedule'; slot: string };
  startedBy?: string;
  decisions: { action: string; actor: string; at: string }[];
  /** Why pieces are missing (AWS errors, no access). */
  notes: string[];
}

const UNKNOWN = '_unknown_';

function field(label: string, value: string | undefined): string {
  return `*${label}:* ${value ?? UNKNOWN}`;
}

/** `/mlops lineage`: endpoint and config, version, candidate and decisions, runs, training job, code/image/data, origin. */
export function lineageView(f: LineageFacts): SlackMessage {
  const title = `Lineage of ${f.model}${f.version !== undefined ? ` ${f.version}` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } }];
  const section = (lines: string[]) => blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(lines.join('\n'), 2900) } });

  const serving =
    f.version === undefined
      ? 'no version known (nothing deployed or evaluated yet)'
      : f.serving
        ? 'serves traffic (last deployment.succeeded)'
        : 'not the production version';
  section([
    field('Version', f.version !== undefined ? `${escapeMrkdwn(f.version)}: ${serving}` : serving),
    field('Production', f.production !== undefined ? `${escapeMrkdwn(f.production.version)} since ${slackDate(f.production.deployedAt)}` : undefined),
    field(
      'Endpoint',
      f.endpointName !== undefined
        ? inlineCode(f.endpointName, 80) + (f.endpoint !== undefined ? ` (${escapeTruncate(f.endpoint.status, 40)})` : '')
        : undefined,
    ),
    field('Endpoint config', f.endpoint?.config !== undefined ? inlineCode(f.endpoint.config, 120) : undefined),
    ...(f.endpoint?.variants ?? [])
      .slice(0, 5)
      .map(
        (v) =>
          `• variant ${inlineCode(v.name, 60)}: model ${v.modelName !== undefined ? inlineCode(v.modelName, 120) : UNKNOWN}, ${v.instanceCount ?? '?'} × ${escapeTruncate(v.instanceType ?? 'unknown', 40)}${v.weight !== undefined ? `, weight ${v.weight}` : ''}`,
      ),
  ]);

  const c = f.candidate;
  const approvals = c !== undefined && c.approvals.length > 0 ? c.approvals.map((a) => `${userMention(a.userId)} ${slackDate(a.at)}`).join(', ') : undefined;
  section([
    field('Candidate', c !== undefined ? `${inlineCode(c.id, 120)} (${escapeTruncate(c.state, 30)})` : undefined),
    field('Evaluated', c?.evaluatedAt !== undefined ? slackDate(c.evaluatedAt) : undefined),
    field('Approved by', approvals),
    field('Decided', c?.decidedAt !== undefined ? `${c.decidedBy !== undefined ? `${userMention(c.decidedBy)} ` : ''}${slackDate(c.decidedAt)}` : undefined),
    ...f.decisions.slice(0, 8).map((d) => `• ${escapeTruncate(d.action.replace(/_/g, ' '), 40)} by ${userMention(d.actor)} ${slackDate(d.at)}`),
  ]);

  const trainingRun = c?.trainingRun;
  const trainingRunText =
    trainingRun !== undefined
      ? `${runReference(trainingRun) ?? UNKNOWN}${trainingRun.url !== undefined ? ` ${slackLink(trainingRun.url, 'open') ?? ''}` : ''}`
      : undefined;
  section([
    field('Training run', trainingRunText),
    field('Started by', startedByText(f)),
    field('Deployment run', f.deploymentRun !== undefined ? runReference(f.deploymentRun) : undefined),
  ]);

  const j = f.trainingJob;
  const channels = j?.inputChannels?.map((ch) => `${escapeTruncate(ch.name, 40)} ${ch.s3Uri !== undefined ? inlineCode(ch.s3Uri, 300) : UNKNOWN}`).join(', ');
  const hyper =
    j?.hyperParameters !== undefined
      ? Object.entries(j.hyperParameters)
          .slice(0, 20)
          .map(([k, v]) => inlineCode(`${truncate(k, 60)}=${truncate(v, 80)}`, 160))
          .join(' ')
      : undefined;
  section([
    field(
      'Training job',
      c?.trainingJob !== undefined ? `${inlineCode(c.trainingJob, 200)}${j !== undefined ? ` (${escapeTruncate(j.status, 30)})` : ''}` : undefined,
    ),
    field('Training image', j?.image !== undefined ? inlineCode(j.image, 300) : undefined),
    field('Input channels', channels),
    field('Hyperparameters', hyper),
    field('Instance', j?.instanceType !== undefined ? `${j.instanceCount ?? 1} × ${escapeTruncate(j.instanceType, 40)}` : undefined),
    field('Billable time', j?.billableSeconds !== undefined ? formatDuration(j.billableSeconds) : undefined),
  ]);

  const l = c?.lineage;
  section([
    field('Commit', l?.commit !== undefined ? inlineCode(l.commit, 100) : undefined),
    field('Image tag', l?.image !== undefined ? inlineCode(l.image, 300) : undefined),
    field('Data', l?.data !== undefined ? inlineCode(l.data, 500) : undefined),
  ]);
  if (f.notes.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`:warning: ${f.notes.map((n) => escapeMrkdwn(n)).join(' · ')}`, 2900) }] });
  return fitMessage({ text: escapeTruncate(`${title}: ${f.version !== undefined ? serving : 'nothing known'}`, 3000), blocks });
}

function startedByText(f: LineageFacts): string | undefined {
  if (f.origin?.reason === 'drift')
    return `Retrain on drift alert ${inlineCode(f.origin.driftAlertId, 200)}${f.origin.signal !== undefined ? ` (${escapeTruncate(f.origin.signal, 20)})` : ''}${f.startedBy !== undefined ? ` by ${userMention(f.startedBy)}` : ''}`;
  if (f.origin?.reason === 'schedule') return `retraining schedule, slot ${slackDate(f.origin.slot)}`;
  return f.startedBy !== undefined ? userMention(f.startedBy) : undefined;
}
