import { escapeTruncate } from './format';
import { modelOverviewText, type ModelOverview } from './model-overview-text';
import { SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export type { ModelOverview };

export interface ModelsViewInput {
  models: readonly ModelOverview[];
  now: Date;
}

/** Header + footer leave 48 of the 50 blocks for models. */
const MAX_MODELS = SlackLimits.blocksPerMessage - 2;

/** `/mlops models`: every configured model, one section each. */
export function modelsView(input: ModelsViewInput): SlackMessage {
  if (input.models.length === 0) {
    const text = 'No models are configured yet: describe them under `models:` in the config file.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const shown = input.models.slice(0, MAX_MODELS);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Models (${input.models.length})` } },
    ...shown.map((m): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(modelOverviewText(m, input.now), SlackLimits.sectionText) } })),
  ];
  if (shown.length < input.models.length) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${input.models.length - shown.length} more models (the Home tab lists them too).` }],
    });
  }
  const text = `${input.models.length} model${input.models.length === 1 ? '' : 's'}: ${input.models
    .map(
      (m) => `${m.model} ${m.deployed !== undefined ? m.deployed.version : '(nothing deployed)'}${m.pending.length > 0 ? `, ${m.pending.length} pending` : ''}`,
    )
    .join('; ')}`;
  return { text: escapeTruncate(text, 3000), blocks };
}
