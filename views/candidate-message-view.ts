import type { Candidate } from '../src/core/candidate';
import type { DeploymentCandidate } from '../src/core/candidate-state-machine';
import { describeStrategy, type DeploymentStrategy, type StrategyOption } from '../src/core/deployment-strategy';
import { progressLine, type RolloutProgress } from './deployment-progress-view';
import { compareMetrics, formatDelta, formatMetric, metricLabel, primaryVerdict, type MetricDirection, type MetricRow } from '../src/core/metric-comparison';
import type { ProductionRecord } from '../src/core/production-record';
import { registryConflict, registryStatusOf, registryWriteDue } from '../src/core/registry-sync';
import { ActionId } from '../src/slack/slack-ids';
import { breakFences, escapeTruncate, userMention, monospaceTable, slackLink, slackDate, inlineCode, escapeMrkdwn } from './format';
import { fitMessage, SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

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
  /** The model's offered strategies: with more than one, a picker beside Deploy (its value: the index). */
  strategies?: readonly StrategyOption[];
  /** The strategy the deployment runs with (shown once approved). */
  strategy?: DeploymentStrategy;
  /** The non-regression gate's check (approvals.gate), when configured: failing, Deploy asks for a reason instead of confirming. */
  gate?: { passed: boolean; lines: readonly string[] };
  /** An approver's override of the gate or a freeze window, with their reason. */
  override?: { reason: string; by: string; at: string; checks: readonly string[] };
  /** The latest deployment.progress while deploying: a text progress bar under the decision. */
  progress?: RolloutProgress;
  /** While a canary / linear rollout runs: the version "Abort and roll back" restores. */
  abortTo?: string;
  /** The bake report's verdict, once posted. */
  baked?: 'healthy' | 'degraded' | 'inconclusive';
  /** A live shadow's follow-up, once decided (Promote shadow / Stop shadow). */
  shadowDecision?: { type: 'promote-shadow' | 'stop-shadow'; by: string };
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
    { type: 'mrkdwn', text: `*Model*\n${escapeTruncate(c.model, 500)}` },
    { type: 'mrkdwn', text: `*Version*\n${escapeTruncate(c.version, 500)}` },
  ];
  if (c.trainingJob !== undefined) fields.push({ type: 'mrkdwn', text: `*Training job*\n${inlineCode(c.trainingJob, 1000)}` });
  if (c.endpoint !== undefined) fields.push({ type: 'mrkdwn', text: `*Endpoint*\n${escapeTruncate(c.endpoint, 500)}` });
  if (c.evaluatedAt !== undefined) fields.push({ type: 'mrkdwn', text: `*Evaluated*\n${slackDate(c.evaluatedAt)}` });
  if (c.requestedBy !== undefined) fields.push({ type: 'mrkdwn', text: `*Requested by*\n${userMention(c.requestedBy)}` });
  blocks.push({ type: 'section', fields: fields.slice(0, SlackLimits.fieldsPerSection) });

  const verdictIcon = {
    better: ':large_green_circle:',
    worse: ':red_circle:',
    same: ':white_circle:',
    'no-baseline': ':new:',
    'no-primary': ':grey_question:',
  }[verdict.kind];
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${verdictIcon} ${escapeTruncate(verdict.text, 2900)}` } });
  const checks = checkLines(input);
  if (checks.length > 0) blocks.push({ type: 'context', elements: checks.map((text) => ({ type: 'mrkdwn' as const, text })) });

  if (rows.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: metricsTable(rows, input.production?.version) } });
  if (c.confusionMatrix !== undefined) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: confusionMatrixTable(c.confusionMatrix) } });
  }

  // One element per item: a context element holds at most 3,000 characters and links can be long.
  const context: string[] = [];
  if (c.startedFrom?.reason === 'drift') {
    const signal = c.startedFrom.signal !== undefined ? ` (${escapeTruncate(c.startedFrom.signal, 20)} drift)` : '';
    context.push(
      `:chart_with_downwards_trend: started by drift alert ${inlineCode(c.startedFrom.driftAlertId, 120)}${signal}${c.startedBy !== undefined ? `, Retrain by ${userMention(c.startedBy)}` : ''}`,
    );
  }
  if (c.startedFrom?.reason === 'schedule') context.push(`:calendar: started by the retraining schedule (slot ${slackDate(c.startedFrom.slot)})`);
  if (c.lineage?.commit !== undefined) context.push(`commit ${inlineCode(c.lineage.commit, 40)}`);
  if (c.lineage?.image !== undefined) context.push(`image ${inlineCode(c.lineage.image, 300)}`);
  if (c.lineage?.data !== undefined) context.push(`data ${inlineCode(c.lineage.data, 300)}`);
  const linkTargets: [string, string][] = [
    ...(c.run?.url !== undefined ? [[c.run.url, 'run'] as [string, string]] : []),
    ...Object.entries(c.links ?? {}).map(([name, url]): [string, string] => [url, name]),
  ];
  for (const [url, label] of linkTargets) {
    const shown = slackLink(url, label);
    if (shown !== undefined && context.length < SlackLimits.contextElements) context.push(shown);
  }
  if (context.length > 0) {
    blocks.push({ type: 'context', elements: context.slice(0, SlackLimits.contextElements).map((text) => ({ type: 'mrkdwn' as const, text })) });
  }

  blocks.push({ type: 'divider' });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: decisionText(input) } });
  if (input.progress !== undefined && c.state === 'deploying') {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: progressLine(input.progress) }] });
  }
  const registry = registryLine(c, input.deploymentDag !== undefined);
  if (registry !== undefined) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: registry }] });
  if (input.notice !== undefined) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escapeTruncate(input.notice, 2000)}` }] });
  }
  const actions = actionButtons(input);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: CANDIDATE_ACTIONS_BLOCK, elements: actions });

  return fitMessage({ text: escapeTruncate(`${title}: ${verdict.text}. ${plainDecision(c)}`, 3000), blocks });
}

/** The gate's check and an override, as context lines (contract 10). */
function checkLines(input: CandidateMessageInput): string[] {
  const lines: string[] = [];
  if (input.gate !== undefined) {
    const detail = input.gate.lines.map((l) => escapeTruncate(l, 300)).join('; ');
    lines.push(
      input.gate.passed
        ? `:white_check_mark: Non-regression gate passed${detail !== '' ? `: ${detail}` : ''}`
        : `:no_entry: Non-regression gate failed: ${detail}${input.candidate.state === 'pending' ? '. Deploy asks for a reason.' : ''}`,
    );
  }
  if (input.override !== undefined) {
    lines.push(
      `:warning: Override by ${userMention(input.override.by)} ${slackDate(input.override.at)} (${escapeTruncate(input.override.checks.join('; '), 600)}): “${escapeTruncate(input.override.reason, 1200)}”`,
    );
  }
  return lines.slice(0, SlackLimits.contextElements);
}

function metricsTable(rows: readonly MetricRow[], productionVersion: string | undefined): string {
  const hasBaseline = productionVersion !== undefined && rows.some((r) => r.production !== undefined);
  const header = hasBaseline ? ['metric', 'candidate', truncate(productionVersion, 12), 'delta', ''] : ['metric', 'candidate'];
  const body = rows.slice(0, MAX_METRIC_ROWS).map((r) => {
    const name = truncate(metricLabel(r.name), 24);
    if (!hasBaseline) return [name, formatMetric(r.value)];
    const mark = r.assessment === 'better' ? '▲ better' : r.assessment === 'worse' ? '▼ worse' : r.assessment === 'same' ? '= same' : '';
    return [
      name,
      formatMetric(r.value),
      r.production !== undefined ? formatMetric(r.production) : '–',
      r.delta !== undefined ? formatDelta(r.delta) : '',
      mark,
    ];
  });
  // Drop rows until the table fits a section whole: a cut table would lose its closing fence.
  for (let shown = body.length; shown >= 0; shown--) {
    const table = escapeMrkdwn(breakFences(monospaceTable([header, ...body.slice(0, shown)])));
    const more = rows.length > shown ? `\n… and ${rows.length - shown} more metrics` : '';
    const text = `*Metrics*\n\`\`\`${table}\`\`\`${more}`;
    if (text.length <= SlackLimits.sectionText) return text;
  }
  return `*Metrics*\n${rows.length} metrics (too wide to show)`;
}

function confusionMatrixTable(cm: { labels: string[]; matrix: number[][] }): string {
  const cell = (v: number | undefined) => (v === undefined ? '' : Number.isInteger(v) ? String(v) : formatMetric(v));
  // Fewer labels until the table fits a section whole.
  for (let n = Math.min(cm.labels.length, MAX_MATRIX_LABELS); n >= 1; n--) {
    const labels = cm.labels.slice(0, n).map((l) => truncate(l, 16));
    const rows = [['actual \\ predicted', ...labels], ...labels.map((label, i) => [label, ...(cm.matrix[i] ?? []).slice(0, n).map(cell)])];
    const note = cm.labels.length > n ? `\n(first ${n} of ${cm.labels.length} labels)` : '';
    const text = `*Confusion matrix*\n\`\`\`${escapeMrkdwn(breakFences(monospaceTable(rows)))}\`\`\`${note}`;
    if (text.length <= SlackLimits.sectionText) return text;
  }
  return `*Confusion matrix*\n${cm.labels.length} labels (too wide to show)`;
}

/** Who changed a package in SageMaker (a Studio user profile or an IAM identity), shown as text. */
function registryWho(by: string | undefined): string {
  return by !== undefined ? escapeTruncate(by, 200) : 'someone';
}

/**
 * The Model Registry line of a candidate that stands for a package (contract 10): what the bot
 * wrote or still has to write, a failed write being retried, a decision made in SageMaker, and a
 * conflict between the two, shown as both sides said it.
 */
function registryLine(c: DeploymentCandidate, deployable: boolean): string | undefined {
  const r = c.registry;
  if (r === undefined) return undefined;
  const pkg = `${escapeTruncate(r.group, 63)} v${r.packageVersion}`;
  const conflict = registryConflict(c);
  if (conflict !== undefined) {
    const ours =
      c.state === 'rejected'
        ? `rejected in Slack by ${c.decidedBy !== undefined ? userMention(c.decidedBy) : 'someone'}`
        : `approved in Slack by ${c.approvals.map((a) => userMention(a.userId)).join(', ') || 'an approver'}`;
    const note = conflict.description !== undefined ? ` (“${escapeTruncate(conflict.description, 300)}”)` : '';
    return `:warning: Conflict: ${ours}; SageMaker says *${conflict.status}* by ${registryWho(conflict.by)} ${slackDate(conflict.at)}${note}. The Slack decision stands; the registry was not overwritten (package ${pkg}).`;
  }
  const external = r.external;
  if (external?.applied === true) {
    if (external.status === 'Rejected') return `:card_index_dividers: Decided in the SageMaker Model Registry (package ${pkg}).`;
    if (c.state === 'registry_approved')
      return `:card_index_dividers: Approved in the SageMaker Model Registry (package ${pkg}); the bot deploys nothing here.`;
    return `:card_index_dividers: Approved in the SageMaker Model Registry (package ${pkg}): the bot deploys it through the deployment DAG, once (the same run id a Deploy click would use).`;
  }
  if (c.state === 'pending' && external?.status === 'Approved' && external.held !== undefined) {
    return `:raised_hand: Approved in SageMaker by ${registryWho(external.by)} ${slackDate(external.at)}, but not deployed: it would override ${escapeTruncate(external.held.join('; '), 600)}. An approver decides here: Deploy (with a reason) or Reject (package ${pkg}).`;
  }
  if (c.state === 'pending' && external?.status === 'Approved') {
    return `:card_index_dividers: Approved in SageMaker by ${registryWho(external.by)} ${slackDate(external.at)}${deployable ? '' : '; this model has no deployment DAG, so the bot deploys nothing'} (package ${pkg}).`;
  }
  const due = registryWriteDue(c);
  if (due !== undefined && r.syncFailure !== undefined) {
    return `:warning: The SageMaker Model Registry does not show ${due} yet: UpdateModelPackage failed (${r.syncFailure.attempts} ${r.syncFailure.attempts === 1 ? 'attempt' : 'attempts'}, last ${slackDate(r.syncFailure.at)}: ${escapeTruncate(r.syncFailure.message, 300)}); retrying (package ${pkg}).`;
  }
  if (due !== undefined) return `:hourglass_flowing_sand: Setting ${due} in the SageMaker Model Registry (package ${pkg})…`;
  if (r.synced !== undefined && r.synced.status === registryStatusOf(c))
    return `:card_index_dividers: SageMaker Model Registry: ${r.synced.status} (package ${pkg}).`;
  if (external !== undefined)
    return `:card_index_dividers: SageMaker Model Registry: ${external.status} by ${registryWho(external.by)} ${slackDate(external.at)} (package ${pkg}).`;
  if (c.state === 'pending') return `:card_index_dividers: SageMaker Model Registry package ${pkg}: Deploy or Reject here sets its approval status there too.`;
  return `:card_index_dividers: SageMaker Model Registry package ${pkg}.`;
}

/** "approved by <approvers>", or by whom in SageMaker when the registry decided it. */
function approvedBy(c: Candidate, approvers: string): string {
  const external = c.registry?.external;
  if (external?.applied === true && external.status === 'Approved') return `approved in SageMaker by ${registryWho(external.by)}`;
  return `approved by ${approvers || 'nobody'}`;
}

function decisionText(input: CandidateMessageInput): string {
  const c = input.candidate;
  const approvers = c.approvals.map((a) => userMention(a.userId)).join(', ');
  const when = c.decidedAt !== undefined ? ` ${slackDate(c.decidedAt)}` : '';
  const target = escapeTruncate(c.endpoint ?? 'its endpoint', 100);
  const version = escapeTruncate(c.version, 100);
  const how = input.strategy !== undefined && input.strategy.type !== 'all-at-once' ? ` (${escapeMrkdwn(describeStrategy(input.strategy))})` : '';
  switch (c.state) {
    case 'pending':
      if (c.approvals.length > 0) return `:hourglass_flowing_sand: ${c.approvals.length} of ${c.requiredApprovals} approvals: ${approvers}`;
      return c.requiredApprovals > 1
        ? `:hourglass_flowing_sand: Waiting for ${c.requiredApprovals} approvals to deploy to ${target}.`
        : `:hourglass_flowing_sand: Waiting for a decision: deploy to ${target}?`;
    case 'approved':
    case 'deploying':
      return `:rocket: Deploying ${version} to ${target}${how}: ${approvedBy(c, approvers)}${when}${c.dagRunId !== undefined ? ` (run ${inlineCode(c.dagRunId, 250)})` : ''}`;
    case 'deployed':
      if (input.strategy?.type === 'shadow') {
        const decided = input.shadowDecision;
        const follow =
          decided === undefined
            ? ''
            : ` ${decided.type === 'promote-shadow' ? ':arrow_up: Promotion' : ':stop_sign: Stop'} requested by ${userMention(decided.by)}.`;
        return `:busts_in_silhouette: ${version} runs in shadow on ${target}${how}: ${approvedBy(c, approvers)}${when}.${follow}`;
      }
      return `:white_check_mark: ${version} is live on ${target}${how}${bakedText(input.baked)}: ${approvedBy(c, approvers)}${when}`;
    case 'deploy_failed':
      return `:x: Deployment of ${version} to ${target} failed${c.failureReason !== undefined ? `: ${escapeTruncate(c.failureReason, 1500)}` : ''}`;
    case 'rejected':
      if (c.registry?.external?.applied === true && c.registry.external.status === 'Rejected') {
        return `:no_entry: Rejected in SageMaker by ${registryWho(c.registry.external.by)}${when}${c.rejectReason !== undefined ? `: “${escapeTruncate(c.rejectReason, 1500)}”` : ''}`;
      }
      return `:no_entry: ${c.origin === 'evaluation' ? 'Rejected' : 'Cancelled'} by ${c.decidedBy !== undefined ? userMention(c.decidedBy) : 'someone'}${when}${c.rejectReason !== undefined ? `: “${escapeTruncate(c.rejectReason, 1500)}”` : ''}`;
    case 'superseded':
      return `:fast_forward: Superseded${c.supersededBy !== undefined ? ` by ${escapeTruncate(c.supersededBy, 100)}` : ''}: a newer version was deployed.`;
    case 'registry_approved':
      return `:white_check_mark: Approved for the SageMaker Model Registry: ${approvedBy(c, approvers)}${when}. This model has no deployment DAG, so the bot deploys nothing.`;
    case 'expired':
      return `:hourglass: Expired${c.expiredAt !== undefined ? ` ${slackDate(c.expiredAt)}` : ''} without a decision. \`/mlops deploy ${escapeTruncate(c.model, 100)} ${version}\` brings it back on a fresh card.`;
  }
}

function bakedText(baked: CandidateMessageInput['baked']): string {
  if (baked === undefined) return '';
  return baked === 'healthy'
    ? ', baked :white_check_mark:'
    : baked === 'degraded'
      ? ', :rotating_light: degraded after the bake'
      : ', bake inconclusive (no traffic)';
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
    case 'expired':
      return 'Expired without a decision';
    case 'registry_approved':
      return 'Approved (Model Registry)';
  }
}

function actionButtons(input: CandidateMessageInput) {
  const c = input.candidate;
  if (c.state === 'deployed' && input.strategy?.type === 'shadow' && input.shadowDecision === undefined) {
    const confirm = (title: string, text: string, ok: string) => ({
      title: { type: 'plain_text' as const, text: title },
      text: { type: 'mrkdwn' as const, text },
      confirm: { type: 'plain_text' as const, text: ok },
      deny: { type: 'plain_text' as const, text: 'Not now' },
    });
    const version = escapeTruncate(c.version, 60);
    const target = escapeTruncate(c.endpoint ?? 'the endpoint', 100);
    return [
      {
        type: 'button' as const,
        action_id: ActionId.ShadowPromote,
        style: 'primary' as const,
        text: { type: 'plain_text' as const, text: 'Promote shadow' },
        value: c.id,
        confirm: confirm('Promote the shadow?', `Make ${version} the production variant of ${target}?`, 'Promote'),
      },
      {
        type: 'button' as const,
        action_id: ActionId.ShadowStop,
        style: 'danger' as const,
        text: { type: 'plain_text' as const, text: 'Stop shadow' },
        value: c.id,
        confirm: confirm('Stop the shadow?', `Remove the shadow variant ${version} from ${target}? Production stays as it is.`, 'Stop'),
      },
      // Read-only (anyone): production beside the shadow from CloudWatch, posted in the run's thread.
      { type: 'button' as const, action_id: ActionId.ShadowCompare, text: { type: 'plain_text' as const, text: 'Compare now' }, value: c.id },
    ];
  }
  if (c.state === 'deploying' && input.abortTo !== undefined) {
    return [
      {
        type: 'button' as const,
        action_id: ActionId.AbortRollback,
        style: 'danger' as const,
        text: { type: 'plain_text' as const, text: truncate(`Abort and roll back to ${input.abortTo}`, SlackLimits.buttonText) },
        value: c.id,
        confirm: {
          title: { type: 'plain_text' as const, text: 'Abort the rollout?' },
          text: {
            type: 'mrkdwn' as const,
            text: `Stop deploying ${escapeTruncate(c.version, 60)} and redeploy ${escapeTruncate(input.abortTo, 60)} to ${escapeTruncate(c.endpoint ?? 'the endpoint', 100)}?`,
          },
          confirm: { type: 'plain_text' as const, text: 'Abort and roll back' },
          deny: { type: 'plain_text' as const, text: 'Keep going' },
          style: 'danger' as const,
        },
      },
    ];
  }
  if (c.state === 'deploy_failed' && input.rollbackTo !== undefined) {
    return [
      {
        type: 'button' as const,
        action_id: ActionId.Rollback,
        text: { type: 'plain_text' as const, text: truncate(`Roll back to ${input.rollbackTo}`, SlackLimits.buttonText) },
        value: c.id,
        confirm: {
          title: { type: 'plain_text' as const, text: 'Roll back?' },
          text: { type: 'mrkdwn' as const, text: `Redeploy ${escapeTruncate(input.rollbackTo, 100)} to ${escapeTruncate(c.endpoint ?? 'the endpoint', 100)}?` },
          confirm: { type: 'plain_text' as const, text: 'Roll back' },
          deny: { type: 'plain_text' as const, text: 'Cancel' },
        },
      },
    ];
  }
  if (c.state !== 'pending') return [];
  // A failed gate: the reason form replaces the confirm dialog (two questions in a row would be one too many).
  const confirm = input.gate?.passed === false ? {} : { confirm: deployConfirm(input) };
  const deploy = {
    type: 'button' as const,
    action_id: ActionId.Deploy,
    style: 'primary' as const,
    text: { type: 'plain_text' as const, text: c.approvals.length > 0 ? 'Approve' : 'Deploy' },
    value: c.id,
    ...confirm,
  };
  const picker = strategyPicker(input);
  const second =
    c.origin === 'evaluation'
      ? { type: 'button' as const, action_id: ActionId.Reject, style: 'danger' as const, text: { type: 'plain_text' as const, text: 'Reject' }, value: c.id }
      : { type: 'button' as const, action_id: ActionId.CancelDeploy, text: { type: 'plain_text' as const, text: 'Cancel' }, value: c.id };
  return picker !== undefined ? [picker, deploy, second] : [deploy, second];
}

/** Slack's confirm dialog of Deploy. */
function deployConfirm(input: CandidateMessageInput) {
  const c = input.candidate;
  const dag = input.deploymentDag !== undefined ? ` This triggers ${inlineCode(input.deploymentDag, 100)}` : '';
  return {
    title: { type: 'plain_text' as const, text: truncate(`Deploy ${c.version}?`, SlackLimits.modalTitle) },
    text: {
      type: 'mrkdwn' as const,
      text: `Deploy ${escapeTruncate(c.model, 60)} ${escapeTruncate(c.version, 30)} to ${escapeTruncate(c.endpoint ?? 'its endpoint', 63)}?${dag}${dag ? '.' : ''}`,
    },
    confirm: { type: 'plain_text' as const, text: 'Deploy' },
    deny: { type: 'plain_text' as const, text: 'Not now' },
    style: 'primary' as const,
  };
}

/**
 * The strategy select beside Deploy (contract 9), when the model offers more than one and this is
 * not a rollback (those go all at once). Slack sends its state with the Deploy click; the first entry
 * is preselected, so a click without touching it deploys with the default.
 */
function strategyPicker(input: CandidateMessageInput) {
  const offered = input.strategies ?? [];
  if (offered.length < 2 || input.candidate.origin === 'rollback-command') return undefined;
  const options = offered.map((s, i) => ({ text: { type: 'plain_text' as const, text: truncate(describeStrategy(s), 75) }, value: String(i) }));
  return {
    type: 'static_select' as const,
    action_id: ActionId.StrategyPick,
    placeholder: { type: 'plain_text' as const, text: 'Strategy' },
    options,
    initial_option: options[0],
  };
}

/**
 * The one-off line under a candidate's decision (candidateMessageView `notice`), derived from the
 * record so that every re-render of the message shows it: a trigger failure, a requested rollback.
 * Plain text (the view escapes it).
 */
export function candidateNotice(c: DeploymentCandidate): string | undefined {
  if (c.state === 'pending' && c.lastTriggerError !== undefined) {
    const retry =
      c.reuseRunId === true
        ? ' Deploy can be clicked again; the retry reuses the same run id, so a request that did reach Airflow is not started twice.'
        : ' Deploy can be clicked again.';
    return `The deployment could not be started: ${c.lastTriggerError.message}${retry}`;
  }
  if (c.state === 'deploy_failed' && c.rollback !== undefined) {
    return `A rollback to ${c.rollback.version} was requested: follow it on the rollback request message.`;
  }
  return undefined;
}
