import type { LastFailure } from '../src/core/parse-last-failure';
import { relativeTime, slackLink, escapeTruncate, inlineCode } from './format';

/** What the bot knows about one configured model (`/mlops models`, the Home tab). */
export interface ModelOverview {
  model: string;
  channel?: string;
  endpoint?: string;
  deployed?: { version: string; deployedAt?: string };
  latestCandidate?: { version: string; state: string; createdAt?: string; primaryMetric?: { name: string; value: number } };
  /** Candidates waiting for approvals, oldest first. */
  pending: { version: string; candidateId: string; approvals: number; required: number; channel?: string; ts?: string }[];
  lastFailure?: LastFailure;
  /** The newest SageMaker model of that name; undefined when there is no AWS inspector. */
  sagemaker?: { ok: true; latest?: { name: string; createdAt?: string } } | { ok: false; reason: string };
}

const STATE_WORDS: Record<string, string> = {
  pending: 'pending approval',
  approved: 'approved',
  deploying: 'deploying',
  deployed: 'deployed',
  deploy_failed: 'deployment failed',
  rejected: 'rejected',
  superseded: 'superseded',
  expired: 'expired',
  registry_approved: 'approved in the Model Registry',
};

/** The model as a few mrkdwn lines; `compact` leaves out SageMaker (the Home tab is busier). */
export function modelOverviewText(o: ModelOverview, now: Date, opts: { compact?: boolean } = {}): string {
  const head = [`*${escapeTruncate(o.model, 100)}*`];
  if (o.channel !== undefined) head.push(`<#${o.channel}>`);
  if (o.endpoint !== undefined) head.push(`endpoint ${inlineCode(o.endpoint, 100)}`);
  const lines = [head.join(' · ')];

  lines.push(
    o.deployed !== undefined ? `Deployed: *${escapeTruncate(o.deployed.version, 100)}*${when(o.deployed.deployedAt, now)}` : 'Deployed: nothing recorded yet',
  );
  if (o.latestCandidate !== undefined) {
    const c = o.latestCandidate;
    const metric = c.primaryMetric !== undefined ? ` · ${escapeTruncate(c.primaryMetric.name, 100)} ${formatMetric(c.primaryMetric.value)}` : '';
    lines.push(
      `Latest candidate: *${escapeTruncate(c.version, 100)}* ${STATE_WORDS[c.state] ?? escapeTruncate(c.state, 40)}${when(c.createdAt, now)}${metric}`,
    );
  } else {
    lines.push('Latest candidate: none');
  }
  if (o.pending.length > 0) {
    const shown = o.pending.slice(-5).map((p) => `${escapeTruncate(p.version, 100)} (${p.approvals} of ${p.required})`);
    lines.push(`Pending approvals: ${shown.join(', ')}${o.pending.length > shown.length ? ` and ${o.pending.length - shown.length} older` : ''}`);
  }
  if (o.lastFailure !== undefined) {
    const f = o.lastFailure;
    const what = [f.type, f.task !== undefined ? `in ${f.task}` : undefined].filter((x) => x !== undefined).join(' ');
    const at = f.at !== undefined ? ` ${relativeTime(new Date(f.at), now)}` : '';
    const log = logLink(f.logUrl);
    lines.push(`:x: Last failure${what !== '' ? ` (${escapeTruncate(what, 300)})` : ''}${at}: ${escapeTruncate(f.message, 400)}${log}`);
  }
  if (!opts.compact && o.sagemaker !== undefined) {
    if (!o.sagemaker.ok) lines.push(`SageMaker: unavailable (${escapeTruncate(o.sagemaker.reason, 400)})`);
    else if (o.sagemaker.latest === undefined) lines.push('SageMaker: no model of that name');
    else lines.push(`SageMaker: newest model ${inlineCode(o.sagemaker.latest.name, 100)}${when(o.sagemaker.latest.createdAt, now, 'created ')}`);
  }
  return lines.join('\n');
}

/** " <url|log>" for an https log URL the pipeline sent; nothing otherwise (see slackLink). */
export function logLink(url: string | undefined): string {
  const link = url !== undefined ? slackLink(url, 'log') : undefined;
  return link !== undefined ? ` ${link}` : '';
}

function when(iso: string | undefined, now: Date, prefix = ''): string {
  if (iso === undefined) return '';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '' : ` (${prefix}${relativeTime(at, now)})`;
}

function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
}
