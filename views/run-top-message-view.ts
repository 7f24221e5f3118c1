import type { RunStageName } from '../src/core/run-stage';
import { fitMessage, SlackLimits, type KnownBlock, type SlackMessage } from './slack-message';
import { inlineCode, truncateMrkdwn } from './format';

export interface RunTopMessageViewInput {
  /** The run's current stage. */
  stage: RunStageName;
  /** The message of the run's first event, shown under the stage line. */
  body: SlackMessage;
  run?: { dagId?: string | undefined; runId?: string | undefined };
  /** The bake's verdict, shown beside `live`. */
  baked?: 'healthy' | 'degraded' | 'inconclusive' | undefined;
}

export const RUN_STAGE_BLOCK = 'mlops_run_stage';
const PATH: readonly RunStageName[] = ['started', 'trained', 'evaluated', 'deploying', 'live'];
const ICON: Record<RunStageName, string> = {
  requested: ':hourglass_flowing_sand:',
  started: ':arrow_forward:',
  trained: ':white_check_mark:',
  evaluated: ':bar_chart:',
  deploying: ':rocket:',
  live: ':large_green_circle:',
  failed: ':red_circle:',
};

/** The bake's verdict beside `live` (the candidate's card says it the same way). */
const BAKED = {
  healthy: { mrkdwn: 'baked :white_check_mark:', plain: 'baked' },
  degraded: { mrkdwn: ':rotating_light: degraded after the bake', plain: 'degraded after the bake' },
  inconclusive: { mrkdwn: 'bake inconclusive (no traffic)', plain: 'bake inconclusive' },
} as const;

/**
 * The top message of a run's thread: a stage line (updated in place as the run advances:
 * started → trained → evaluated → deploying → live, or failed) above its first event's message.
 */
export function runTopMessageView(input: RunTopMessageViewInput): SlackMessage {
  const { stage } = input;
  const at = PATH.indexOf(stage);
  const path = stage === 'failed' ? '*failed*' : PATH.map((s, i) => (i === at ? `*${s}*` : i < at ? `${s} ✓` : s)).join(' → ');
  const baked = stage === 'live' && input.baked !== undefined ? BAKED[input.baked] : undefined;
  const run = input.run?.runId !== undefined ? ` · run ${inlineCode(input.run.runId, 260)}` : '';
  const stageBlock: KnownBlock = {
    type: 'context',
    block_id: RUN_STAGE_BLOCK,
    elements: [{ type: 'mrkdwn', text: `${ICON[stage]} Stage: ${path}${baked !== undefined ? `, ${baked.mrkdwn}` : ''}${run}` }],
  };
  const blocks = [stageBlock, ...input.body.blocks.slice(0, SlackLimits.blocksPerMessage - 1)];
  return fitMessage({ text: truncateMrkdwn(`[${stage}${baked !== undefined ? `, ${baked.plain}` : ''}] ${input.body.text}`, 3000), blocks });
}
