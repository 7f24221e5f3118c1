import { chunkLines, escapeTruncate, relativeTime, slackDate } from './format';
import { logLink } from './model-overview-text';
import { endpointSummaryLine, type EndpointSummaryRow } from './endpoint-summary-line';
import { historyLine, type HistoryEntry } from './history-line';
import { modelOverviewText, type ModelOverview } from './model-overview-text';
import { SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';
import { waitingOnYouBlocks, type WaitingItem } from './waiting-on-you-view';

export interface HomeViewInput {
  now: Date;
  models: readonly ModelOverview[];
  endpoints: readonly EndpointSummaryRow[];
  windowMinutes: number;
  /** Audit entries across models, newest first. */
  recent: readonly HistoryEntry[];
  /** The candidates the viewing user may decide, oldest first (issue 16); unset: the section is not shown. */
  waitingOnYou?: readonly WaitingItem[];
  /** Models with a retrainSchedule (issue 15): the next due run (ISO), or paused. */
  schedules?: readonly { model: string; next?: string; paused?: boolean }[];
}

const MAX_PENDING_LINES = 25;
const MAX_FAILURE_LINES = 10;
const MAX_RECENT_LINES = 10;
/** Each list gets at most this many sections, so one long list cannot crowd out the others. */
const MAX_SECTIONS_PER_LIST = 3;

/**
 * The App Home tab: models, endpoints and their status, pending approvals, recent failures and
 * activity. Returns the blocks of a `home` view (at most 100) and a one-line summary as `text`.
 */
export function homeView(input: HomeViewInput): SlackMessage {
  const { now } = input;
  const head: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'MLOps dashboard' } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Updated ${slackDate(now.toISOString())}, each time you open this tab. \`/mlops help\` lists the commands.` }],
    },
  ];

  const endpoints = listBlocks(
    'Endpoints',
    input.endpoints.map((r) => endpointSummaryLine(r, input.windowMinutes)),
    'No endpoints configured (`models.&lt;name&gt;.endpoint`).',
  );
  const pendingLines = input.models.flatMap((m) =>
    m.pending.map(
      (p) =>
        `• *${escapeTruncate(m.model, 100)}* ${escapeTruncate(p.version, 100)}: ${p.approvals} of ${p.required} approval${p.required === 1 ? '' : 's'}${p.channel !== undefined ? ` · <#${p.channel}>` : ''}`,
    ),
  );
  const pending = listBlocks('Pending approvals', cap(pendingLines, MAX_PENDING_LINES, 'pending'), 'Nothing is waiting for approval.');
  const failureLines = input.models
    .filter((m) => m.lastFailure !== undefined)
    .map((m) => ({ m, at: Date.parse(m.lastFailure?.at ?? '') }))
    // Newest first; failures without a time go last.
    .sort((a, b) => (Number.isFinite(b.at) ? b.at : 0) - (Number.isFinite(a.at) ? a.at : 0))
    .map(({ m }) => {
      const f = m.lastFailure as NonNullable<ModelOverview['lastFailure']>;
      const when = f.at !== undefined ? ` ${relativeTime(new Date(f.at), now)}` : '';
      const what = [f.type, f.task !== undefined ? `in ${f.task}` : undefined].filter((x) => x !== undefined).join(' ');
      return `• *${escapeTruncate(m.model, 100)}*${what !== '' ? ` ${escapeTruncate(what, 300)}` : ''}${when}: ${escapeTruncate(f.message, 300)}${logLink(f.logUrl)}`;
    });
  const failures = listBlocks('Recent failures', cap(failureLines, MAX_FAILURE_LINES, 'failures'), 'No failures recorded.');
  const recent = listBlocks(
    'Recent activity',
    input.recent.slice(0, MAX_RECENT_LINES).map((e) => historyLine(e, { showModel: true })),
    'No activity yet.',
  );

  const scheduled =
    input.schedules !== undefined && input.schedules.length > 0
      ? listBlocks(
          'Next scheduled retraining',
          [...input.schedules]
            .sort((a, b) => (a.next ?? '9').localeCompare(b.next ?? '9'))
            .slice(0, MAX_RECENT_LINES)
            .map((s) => `• *${escapeTruncate(s.model, 100)}* ${s.paused === true ? 'paused' : s.next !== undefined ? slackDate(s.next) : 'no due time'}`),
          '',
        )
      : [];
  const others = [...endpoints, ...pending, ...scheduled, ...failures, ...recent];
  // The tab opens with what waits on the viewer.
  const waiting = input.waitingOnYou !== undefined ? waitingOnYouBlocks(input.waitingOnYou, now) : [];
  // Models take what is left of the 100 blocks: a header, then one section per model.
  const modelBudget = SlackLimits.blocksPerView - head.length - waiting.length - others.length - 2;
  const modelBlocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `Models (${input.models.length})` } }];
  if (input.models.length === 0) {
    modelBlocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No models configured yet: describe them under `models:` in the config file.' } });
  } else {
    const shown = input.models.slice(0, Math.max(1, modelBudget));
    for (const m of shown)
      modelBlocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(modelOverviewText(m, now, { compact: true }), SlackLimits.sectionText) } });
    if (shown.length < input.models.length) {
      modelBlocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `…and ${input.models.length - shown.length} more; \`/mlops models\` lists them all.` }],
      });
    }
  }
  const blocks = [...head, ...waiting, ...modelBlocks, ...others].slice(0, SlackLimits.blocksPerView);
  const deployed = input.models.filter((m) => m.deployed !== undefined).length;
  const text = `MLOps dashboard: ${input.models.length} models (${deployed} deployed), ${input.endpoints.length} endpoints, ${pendingLines.length} pending approvals, ${failureLines.length} recent failures`;
  return { text, blocks };
}

function listBlocks(title: string, lines: readonly string[], empty: string): KnownBlock[] {
  const sections = lines.length === 0 ? [`_${empty}_`] : chunkLines(lines, SlackLimits.sectionText).slice(0, MAX_SECTIONS_PER_LIST);
  return [
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: title } },
    ...sections.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
}

function cap(lines: readonly string[], max: number, what: string): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `…and ${lines.length - max} more ${what}`];
}
