import { inlineCode, escapeMrkdwn } from './format';
import { truncate, type SlackMessage } from './slack-message';

export interface HelpEntry {
  name: string;
  usage: string;
  summary: string;
  example: string;
  details?: string;
}

export interface HelpViewInput {
  command: string; // '/mlops'
  entries: readonly HelpEntry[];
  /** Set when the user typed something unknown. */
  unknown?: string;
  suggestion?: string;
  /** `help <subcommand>`: show only this entry, with details. */
  focus?: string;
}

/** Help for `/mlops` (ephemeral): every subcommand with its arguments and an example. */
export function helpView(input: HelpViewInput): SlackMessage {
  const { command } = input;
  // Usages name arguments as `<model>`: Slack would read `<…>` as markup even in code, so all is escaped.
  const e = escapeMrkdwn;
  const focused = input.focus !== undefined ? input.entries.find((e) => e.name === input.focus) : undefined;
  const lines: string[] = [];
  let intro = `*${command}* runs your ML pipeline from Slack. Subcommands:`;
  if (input.unknown !== undefined) {
    intro = `${inlineCode(input.unknown, 60)} is not a ${command} subcommand.`;
    if (input.suggestion !== undefined) intro += ` Did you mean \`${command} ${input.suggestion}\`?`;
  }
  if (focused !== undefined) {
    const text = [
      `*\`${command} ${e(focused.usage)}\`*`,
      e(focused.summary),
      ...(focused.details !== undefined ? [e(focused.details)] : []),
      `Example: \`${command} ${e(focused.example)}\``,
    ].join('\n');
    return {
      text: e(`${command} ${focused.usage}: ${focused.summary}. Example: ${command} ${focused.example}`),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${command} help\` lists every subcommand.` }] },
      ],
    };
  }
  for (const entry of input.entries) lines.push(`• \`${command} ${e(entry.usage)}\` — ${e(entry.summary)}`);
  const fallback = `${input.unknown !== undefined ? intro + ' ' : ''}${command} subcommands: ${input.entries.map((e) => e.name).join(', ')}`;
  return {
    text: fallback,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: intro } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${command} help &lt;subcommand&gt;\` shows details and an example.` }] },
    ],
  };
}
