import type { Candidate } from '../src/core/candidate';
import {
  compareMetrics,
  formatDelta,
  formatMetric,
  metricLabel,
  primaryVerdict,
  type MetricDirection,
  type MetricRow,
} from '../src/core/metric-comparison';
import type { ProductionRecord } from '../src/core/production-record';
import { ActionId } from '../src/slack/slack-ids';
import { monospaceTable } from './monospace-table';
import { escapeMrkdwn, SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';
import { slackDate } from './slack-date';

export interface CandidateMessageInput {
  candidate: Candidate;
  /** The production baseline to compare with (the one known when the candidate was shown). */
  production?: ProductionRecord;
  metricDirections: Readonly<Record<string, MetricDirection>>;
  primaryMetric?: string;
  /** The deployment DAG that Deploy triggers (for the confirm dialog). */
  deploymentDag?: string;
  /** A one-off line under the decision, e.g. a trigger failure or a busy endpoint. */
  notice?: string;
  /** Version a Rollback button would restore (shown on deploy_failed when set). */
  rollbackTo?: string;
}

export const CANDIDATE_ACTIONS_BLOCK = 'mlops_candidate_actions';
const MAX_METRIC_ROWS = 40;
const MAX_MATRIX_LABELS = 12;

/**
 * The evaluation message of a candidate, and every later state of it (approvals in progress,
 * deploying, deployed, failed, rejected, superseded): updated in place after each decision.
 */
export function candidateMessageView(input: CandidateMessageInput): SlackMessage {
  const { candidate: c } = input;
  const rows = compareMetrics(c.metrics, input.production?.metrics, input.metricDirections);
  const verdict = primaryVerdict(rows, input.primaryMetric, input.production?.version);
  const blocks: KnownBlock[] = [];

  const title =
    c.origin === 'evaluation'
      ? `${c.model} ${c.version} evaluated`
      : `${c.origin === 'rollback-command' ? 'Rollback' : 'Deploy'} request: ${c.model} ${c.version}${c.endpoint !== undefined ? ` → ${c.endpoint}` : ''}`;
  blocks.push({ type: 'header', text: { type: 'plain_text', text: truncate(title, 150), emoji: true } });

  const fields: { type: 'mrkdwn'; text: string }[] = [
    { type: 'mrkdwn', text: `*Model*\n${escapeMrkdwn(c.model)}` },
    { type: 'mrkdwn', text: `*Version*\n${escapeMrkdwn(c.version)}` },
  ];
  if (c.trainingJob !== undefined) fields.push({ type: 'mrkdwn', text: `*Training job*\n\`${escapeMrkdwn(truncate(c.trainingJob, 200))}\`` });
  if (c.endpoint !== undefined) fields.push({ type: 'mrkdwn', text: `*Endpoint*\n${escapeMrkdwn(c.endpoint)}` });
  if (c.evaluatedAt !== undefined) fields.push({ type: 'mrkdwn', text: `*Evaluated*\n${slackDate(c.evaluatedAt)}` });
  if (c.requestedBy !== undefined) fields.push({ type: 'mrkdwn', text: `*Requested by*\n<@${c.requestedBy}>` });
  blocks.push({ type: 'section', fields: fields.slice(0, SlackLimits.fieldsPerSection) });

  const verdictIcon = { better: ':large_green_circle:', worse: ':red_circle:', same: ':white_circle:', 'no-baseline': ':new:', 'no-primary': ':grey_question:' }[verdict.kind];
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${verdictIcon} ${escapeMrkdwn(verdict.text)}` } });

  if (rows.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: metricsTable(rows, input.production?.version) } });
  if (c.confusionMatrix !== undefined) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: confusionMatrixTable(c.confusionMatrix) } });
  }

  const context: string[] = [];
  if (c.lineage?.commit !== undefined) context.push(`commit \`${escapeMrkdwn(truncate(c.lineage.commit, 40))}\``);
  if (c.lineage?.image !== undefined) context.push(`image \`${escapeMrkdwn(truncate(c.lineage.image, 300))}\``);
  if (c.lineage?.data !== undefined) context.push(`data \`${escapeMrkdwn(truncate(c.lineage.data, 300))}\``);
  const links: string[] = [];
  if (c.run?.url !== undefined) links.push(link(c.run.url, 'run'));
  for (const [name, url] of Object.entries(c.links ?? {}).slice(0, 5)) links.push(link(url, name));
  if (links.length > 0) context.push(links.join(' · '));
  if (context.length > 0) {
    blocks.push({ type: 'context', elements: context.slice(0, SlackLimits.contextElements).map((text) => ({ type: 'mrkdwn' as const, text })) });
  }

  blocks.push({ type: 'divider' });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: decisionText(input) } });
  if (input.notice !== undefined) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escapeMrkdwn(truncate(input.notice, 2000))}` }] });
  }
  const actions = actionButtons(input);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: CANDIDATE_ACTIONS_BLOCK, elements: actions });

  return { text: truncate(`${title}: ${verdict.text}. ${plainDecision(c)}`, 3000), blocks };
}

function metricsTable(rows: readonly MetricRow[], productionVersion: string | undefined): string {
  const hasBaseline = productionVersion !== undefined && rows.some((r) => r.production !== undefined);
  const shown = rows.slice(0, MAX_METRIC_ROWS);
  const table = [
    hasBaseline ? ['metric', 'candidate', truncate(productionVersion ?? 'prod', 12), 'delta', ''] : ['metric', 'candidate'],
    ...shown.map((r) => {
      const name = truncate(metricLabel(r.name), 24);
      if (!hasBaseline) return [name, formatMetric(r.value)];
      const mark = r.assessment === 'better' ? '▲ better' : r.assessment === 'worse' ? '▼ worse' : r.assessment === 'same' ? '= same' : '';
      return [name, formatMetric(r.value), r.production !== undefined ? formatMetric(r.production) : '–', r.delta !== undefined ? formatDelta(r.delta) : '', mark];
    }),
  ];
  const more = rows.length > shown.length ? `\n… and ${rows.length - shown.length} more metrics` : '';
  return truncate(`*Metrics*\n\`\`\`${monospaceTable(table)}\`\`\`${more}`, SlackLimits.sectionText);
}

function confusionMatrixTable(cm: { labels: string[]; matrix: number[][] }): string {
  const n = Math.min(cm.labels.length, MAX_MATRIX_LABELS);
  const labels = cm.labels.slice(0, n).map((l) => truncate(l, 16));
  const rows = [['actual \\ predicted', ...labels], ...labels.map((label, i) => [label, ...(cm.matrix[i] ?? []).slice(0, n).map((v) => String(v))])];
  const note = cm.labels.length > n ? `\n(first ${n} of ${cm.labels.length} labels)` : '';
  return truncate(`*Confusion matrix*\n\`\`\`${monospaceTable(rows)}\`\`\`${note}`, SlackLimits.sectionText);
}

function decisionText(input: CandidateMessageInput): string {
  const c = input.candidate;
  const approvers = c.approvals.map((a) => `<@${a.userId}>`).join(', ');
  const when = c.decidedAt !== undefined ? ` ${slackDate(c.decidedAt)}` : '';
  const target = c.endpoint ?? 'its endpoint';
  switch (c.state) {
    case 'pending':
      if (c.approvals.length > 0) return `:hourglass_flowing_sand: ${c.approvals.length} of ${c.requiredApprovals} approvals: ${approvers}`;
      return c.requiredApprovals > 1
        ? `:hourglass_flowing_sand: Waiting for ${c.requiredApprovals} approvals to deploy to ${target}.`
        : `:hourglass_flowing_sand: Waiting for a decision: deploy to ${target}?`;
    case 'approved':
    case 'deploying':
      return `:rocket: Deploying ${c.version} to ${target}: approved by ${approvers || 'nobody'}${when}${c.dagRunId !== undefined ? ` (run \`${c.dagRunId}\`)` : ''}`;
    case 'deployed':
      return `:white_check_mark: ${c.version} is live on ${target}: approved by ${approvers || 'nobody'}${when}`;
    case 'deploy_failed':
      return `:x: Deployment of ${c.version} to ${target} failed${c.failureReason !== undefined ? `: ${escapeMrkdwn(truncate(c.failureReason, 1500))}` : ''}`;
    case 'rejected':
      return `:no_entry: ${c.origin === 'evaluation' ? 'Rejected' : 'Cancelled'} by ${c.decidedBy !== undefined ? `<@${c.decidedBy}>` : 'someone'}${when}${c.rejectReason !== undefined ? `: “${escapeMrkdwn(truncate(c.rejectReason, 1500))}”` : ''}`;
    case 'superseded':
      return `:fast_forward: Superseded${c.supersededBy !== undefined ? ` by ${escapeMrkdwn(c.supersededBy)}` : ''}: a newer version was deployed.`;
  }
}

function plainDecision(c: Candidate): string {
  switch (c.state) {
    case 'pending':
      return c.approvals.length > 0 ? `${c.approvals.length} of ${c.requiredApprovals} approvals` : 'Waiting for a decision';
    case 'approved':
    case 'deploying':
      return `Deploying to ${c.endpoint ?? 'its endpoint'}`;
    case 'deployed':
      return 'Deployed';
    case 'deploy_failed':
      return 'Deployment failed';
    case 'rejected':
      return c.origin === 'evaluation' ? 'Rejected' : 'Cancelled';
    case 'superseded':
      return 'Superseded';
  }
}

function actionButtons(input: CandidateMessageInput) {
  const c = input.candidate;
  if (c.state === 'deploy_failed' && input.rollbackTo !== undefined) {
    return [
      {
        type: 'button' as const,
        action_id: ActionId.Rollback,
        text: { type: 'plain_text' as const, text: truncate(`Roll back to ${input.rollbackTo}`, SlackLimits.buttonText) },
        value: c.id,
        confirm: {
          title: { type: 'plain_text' as const, text: 'Roll back?' },
          text: { type: 'mrkdwn' as const, text: `Redeploy ${escapeMrkdwn(input.rollbackTo)} to ${escapeMrkdwn(c.endpoint ?? 'the endpoint')}?` },
          confirm: { type: 'plain_text' as const, text: 'Roll back' },
          deny: { type: 'plain_text' as const, text: 'Cancel' },
        },
      },
    ];
  }
  if (c.state !== 'pending') return [];
  const dag = input.deploymentDag !== undefined ? ` This triggers \`${escapeMrkdwn(input.deploymentDag)}\`` : '';
  const deploy = {
    type: 'button' as const,
    action_id: ActionId.Deploy,
    style: 'primary' as const,
    text: { type: 'plain_text' as const, text: c.approvals.length > 0 ? 'Approve' : 'Deploy' },
    value: c.id,
    confirm: {
      title: { type: 'plain_text' as const, text: truncate(`Deploy ${c.version}?`, SlackLimits.modalTitle) },
      text: {
        type: 'mrkdwn' as const,
        text: truncate(`Deploy ${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)} to ${escapeMrkdwn(c.endpoint ?? 'its endpoint')}?${dag}${dag ? '.' : ''}`, 300),
      },
      confirm: { type: 'plain_text' as const, text: 'Deploy' },
      deny: { type: 'plain_text' as const, text: 'Not now' },
      style: 'primary' as const,
    },
  };
  const second =
    c.origin === 'evaluation'
      ? { type: 'button' as const, action_id: ActionId.Reject, style: 'danger' as const, text: { type: 'plain_text' as const, text: 'Reject' }, value: c.id }
      : { type: 'button' as const, action_id: ActionId.CancelDeploy, text: { type: 'plain_text' as const, text: 'Cancel' }, value: c.id };
  return [deploy, second];
}

function link(url: string, label: string): string {
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(label)}>`;
}
