import { escapeTruncate, formatDuration, inlineCode, slackDate, userMention } from './format';
import { fitMessage, SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface DailyDigestInput {
  /** The local day it is for (YYYY-MM-DD). */
  day: string;
  now: Date;
  pending: readonly { model: string; version: string; createdAt: string; approvals: number; required: number; channel?: string; ts?: string }[];
  failures: readonly { model: string; at: string; message: string; type?: string }[];
  endpoints: readonly { endpoint: string; model: string; status?: string }[];
  deployments: readonly { model: string; version: string; at: string; actor: string }[];
  /** Drift alerts since yesterday, one per model + signal (the latest measurement, what was done). */
  drift: readonly DigestDrift[];
}

export interface DigestDrift {
  model: string;
  signal: 'data' | 'prediction' | 'quality';
  metric: string;
  value: number;
  threshold: number;
  feature?: string;
  severity?: 'low' | 'high';
  count: number;
  /** Of `count`, received while snoozed (not posted). */
  silenced: number;
  lastAt: string;
  retrain?: { by: string; runId: string };
  snooze?: { until: string; by: string };
}

const SIGNAL_LABEL = { data: 'data drift', prediction: 'prediction drift', quality: 'quality drop' } as const;

export function isDigestEmpty(input: DailyDigestInput): boolean {
  return input.pending.length + input.failures.length + input.endpoints.length + input.deployments.length + input.drift.length === 0;
}

const MAX_LINES = 15;

function section(title: string, lines: readonly string[]): KnownBlock {
  const shown = lines.slice(0, MAX_LINES);
  const more = lines.length > shown.length ? `\n… and ${lines.length - shown.length} more` : '';
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${title}*\n${shown.join('\n')}${more}`, SlackLimits.sectionText) } };
}

/** The daily digest: what waits, what broke, what drifted and what shipped since yesterday (sections only when non-empty). */
export function dailyDigestView(input: DailyDigestInput): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `MLOps digest · ${input.day}`, emoji: true } }];
  if (input.pending.length > 0) {
    blocks.push(
      section(
        `:hourglass_flowing_sand: Waiting for approval (${input.pending.length})`,
        input.pending.map((p) => {
          const age = formatDuration((input.now.getTime() - Date.parse(p.createdAt)) / 1000);
          const k = p.required > 1 ? `, ${p.approvals} of ${p.required} approvals` : '';
          const where = p.channel !== undefined ? ` in <#${p.channel}>` : '';
          return `• *${escapeTruncate(p.model, 100)} ${escapeTruncate(p.version, 60)}*: waiting ${age}${k}${where}`;
        }),
      ),
    );
  }
  if (input.failures.length > 0) {
    blocks.push(
      section(
        `:x: Failures since yesterday (${input.failures.length})`,
        input.failures.map(
          (f) =>
            `• *${escapeTruncate(f.model, 100)}* ${slackDate(f.at)}${f.type !== undefined ? ` (${escapeTruncate(f.type, 40)})` : ''}: ${escapeTruncate(f.message, 200)}`,
        ),
      ),
    );
  }
  if (input.drift.length > 0) {
    blocks.push(section(`:chart_with_downwards_trend: Drift since yesterday (${input.drift.length})`, input.drift.map(driftLine)));
  }
  if (input.endpoints.length > 0) {
    blocks.push(
      section(
        `:warning: Endpoints not InService (${input.endpoints.length})`,
        input.endpoints.map(
          (e) => `• *${escapeTruncate(e.endpoint, 100)}* (${escapeTruncate(e.model, 100)}): ${escapeTruncate(e.status ?? 'could not be read', 60)}`,
        ),
      ),
    );
  }
  if (input.deployments.length > 0) {
    blocks.push(
      section(
        `:rocket: Deployed since yesterday (${input.deployments.length})`,
        input.deployments.map((d) => `• *${escapeTruncate(d.model, 100)} ${escapeTruncate(d.version, 60)}* ${slackDate(d.at)} by ${userMention(d.actor)}`),
      ),
    );
  }
  const text = `MLOps digest ${input.day}: ${input.pending.length} waiting for approval, ${input.failures.length} failures, ${input.drift.length} drift alerts, ${input.endpoints.length} endpoints not InService, ${input.deployments.length} deployments`;
  return fitMessage({ text, blocks });
}

/** One model + signal: the last measurement against its threshold, how often, and what was done. */
function driftLine(d: DigestDrift): string {
  const times = d.count > 1 ? ` ×${d.count}` : '';
  const feature = d.feature !== undefined ? ` on ${inlineCode(d.feature, 60)}` : '';
  const severity = d.severity !== undefined ? ` (${d.severity})` : '';
  const measured = `${inlineCode(d.metric, 60)} ${formatNumber(d.value)} / ${formatNumber(d.threshold)}${feature}`;
  const done: string[] = [];
  if (d.retrain !== undefined) done.push(`retrained by ${userMention(d.retrain.by)} (run ${inlineCode(d.retrain.runId, 120)})`);
  if (d.snooze !== undefined) done.push(`snoozed until ${slackDate(d.snooze.until)} by ${userMention(d.snooze.by)}`);
  if (d.silenced > 0) done.push(`${d.silenced} not posted (snoozed)`);
  const outcome = done.length > 0 ? `: ${done.join('; ')}` : ': nothing done yet';
  return `• *${escapeTruncate(d.model, 100)}* ${SIGNAL_LABEL[d.signal]}${times}${severity}, ${measured}, last ${slackDate(d.lastAt)}${outcome}`;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'unknown';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}
