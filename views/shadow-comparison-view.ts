import { errorRate, percent } from '../src/core/bake-verdict';
import type { ShadowComparison, ShadowVerdict, VariantFigures } from '../src/core/shadow-comparison';
import { escapeTruncate, inlineCode, monospaceTable, slackDate, userMention } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface ShadowComparisonViewInput {
  model: string;
  version: string;
  endpoint: string;
  comparison: ShadowComparison;
  verdict: ShadowVerdict;
  thresholds: { maxLatencyIncrease: number; max5xxRate: number };
  /** On request: who clicked Compare now. Absent: the end of the shadow window. */
  requestedBy?: string;
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`);
const rate = (f: VariantFigures, errors: number) => (f.invocations > 0 ? percent(errors / f.invocations) : '–');

/**
 * Production beside the shadow over one window (issue 14): invocations, ModelLatency p50/p99,
 * 4XX and 5XX rates per variant and a verdict line. On request (Compare now) or at the end of
 * the shadow window, which also reminds of Promote shadow / Stop shadow on the card.
 */
export function shadowComparisonView(input: ShadowComparisonViewInput): SlackMessage {
  const { comparison: c, verdict } = input;
  const who = `${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 60)}`;
  const final = input.requestedBy === undefined;
  const headline = `:busts_in_silhouette: ${final ? 'Shadow window ended' : 'Shadow comparison'}: ${who} (shadow) against production on ${inlineCode(input.endpoint, 80)}`;
  const table = monospaceTable([
    ['', 'production', 'shadow'],
    ['variant', truncate(c.production.variant, 40), truncate(c.shadow.variant, 40)],
    ['invocations', String(c.production.invocations), String(c.shadow.invocations)],
    ['latency p50', ms(c.production.p50Ms), ms(c.shadow.p50Ms)],
    ['latency p99', ms(c.production.p99Ms), ms(c.shadow.p99Ms)],
    ['4XX rate', rate(c.production, c.production.errors4xx), rate(c.shadow, c.shadow.errors4xx)],
    ['5XX rate', rate(c.production, c.production.errors5xx), rate(c.shadow, c.shadow.errors5xx)],
  ]);
  const line =
    verdict.kind === 'on-par'
      ? `:white_check_mark: ${verdictFigures(c)}: the shadow is on par with production.`
      : verdict.kind === 'worse'
        ? `:rotating_light: ${verdictFigures(c)}: the shadow is *worse* than production.\n${verdict.reasons.map((r) => `• ${r}`).join('\n')}`
        : `:grey_question: No verdict: ${escapeTruncate(verdict.reason, 300)}.`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
    { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${table}\`\`\`` } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(line, 2900) } },
  ];
  const window = `${slackDate(c.from)} to ${slackDate(c.to)}`;
  const context = final
    ? `From CloudWatch (AWS/SageMaker, per VariantName), ${window}. Promote shadow or Stop shadow on the deployment's card (approvers).`
    : `From CloudWatch (AWS/SageMaker, per VariantName), ${window}; asked by ${userMention(input.requestedBy ?? '')}. Thresholds: p99 at most ${percent(input.thresholds.maxLatencyIncrease)} above production, 5XX rate at most ${percent(input.thresholds.max5xxRate)} (models.${escapeTruncate(input.model, 100)}.bake).`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context }] });
  const text = `${final ? 'Shadow window ended' : 'Shadow comparison'}: ${input.model} ${input.version} ${verdict.kind === 'inconclusive' ? 'could not be judged' : `is ${verdict.kind === 'on-par' ? 'on par with' : 'worse than'} production`}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}

function verdictFigures(c: ShadowComparison): string {
  return `p99 ${ms(c.shadow.p99Ms)} (shadow) vs ${ms(c.production.p99Ms)} (production), 5XX ${percent(errorRate(c.shadow))} vs ${percent(errorRate(c.production))}`;
}

/** CloudWatch (or SageMaker) did not answer: said, never an invented figure. */
export function shadowComparisonUnavailableView(input: { model: string; version: string; endpoint: string; problem: string; final: boolean }): SlackMessage {
  const what = input.final ? 'The end-of-window shadow comparison' : 'The shadow comparison';
  const then = input.final ? 'the bot keeps trying and posts it when it can' : 'try Compare now again in a minute';
  const text = `:warning: ${what} for ${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 60)} on ${inlineCode(input.endpoint, 80)}: the metrics could not be read (${escapeTruncate(input.problem, 500)}). No comparison yet: ${then}.`;
  return fitMessage({
    text: escapeTruncate(`No shadow comparison yet for ${input.model} ${input.version}: the metrics could not be read`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });
}
