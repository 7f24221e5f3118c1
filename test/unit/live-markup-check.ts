/**
 * Finds live Slack markup in a payload that the bot did not mean to make: every `<…>` token in
 * every mrkdwn text object (blocks, fields, context elements, confirm dialogs, anywhere in the
 * JSON) and in the message's fallback `text` (which Slack parses as mrkdwn too), checked
 * against what the bot may legitimately render. plain_text objects are skipped: Slack shows
 * them as written. Returns readable problems, empty when the payload is clean.
 */
export interface MarkupAllowance {
  /** User ids the bot may mention (approvers, the clicking user, a valid requester). */
  users?: readonly string[];
  channels?: readonly string[];
  usergroups?: readonly string[];
  /** Hosts of https links the bot may render (the URLs the pipeline sent in URL fields). */
  linkHosts?: readonly string[];
}

export function liveMarkupProblems(payload: unknown, allow: MarkupAllowance = {}): string[] {
  const problems: string[] = [];
  for (const { where, text } of mrkdwnTexts(payload)) {
    for (const match of text.matchAll(/<([^<>]*)>/g)) {
      const token = match[1] ?? '';
      if (!allowedToken(token, allow)) problems.push(`${where}: live markup <${token.slice(0, 120)}>`);
    }
    // A lone `<` that does not close still reads as the start of markup to a human check.
    if (/<(?![^<>]*>)/.test(text)) problems.push(`${where}: an unescaped <`);
  }
  return problems;
}

function allowedToken(token: string, allow: MarkupAllowance): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^@([UW][A-Z0-9]+)$/.exec(token)) !== null) return (allow.users ?? []).includes(m[1]!);
  if ((m = /^#(C[A-Z0-9]+)(?:\|[^|]*)?$/.exec(token)) !== null) return (allow.channels ?? []).includes(m[1]!);
  if ((m = /^!subteam\^(S[A-Z0-9]+)(?:\|[^|]*)?$/.exec(token)) !== null) return (allow.usergroups ?? []).includes(m[1]!);
  if (/^!date\^\d+\^[^|]*\|[^|]*$/.test(token)) return true;
  if ((m = /^(https:\/\/[^|\s]+)\|[^|]*$/.exec(token)) !== null) {
    try {
      return (allow.linkHosts ?? []).includes(new URL(m[1]!).host);
    } catch {
      return false;
    }
  }
  return false;
}

/** Every mrkdwn text in a payload: `text` of `{type: 'mrkdwn'}` objects, and top-level `text` strings. */
export function mrkdwnTexts(payload: unknown): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  const walk = (node: unknown, path: string, topLevel: boolean) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => walk(child, `${path}[${i}]`, false));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const isMrkdwn = record['type'] === 'mrkdwn';
    if (typeof record['text'] === 'string' && (isMrkdwn || topLevel)) out.push({ where: `${path}.text`, text: record['text'] });
    // A file's comment is a message text too (files.completeUploadExternal).
    if (typeof record['initial_comment'] === 'string') out.push({ where: `${path}.initial_comment`, text: record['initial_comment'] });
    for (const [key, value] of Object.entries(record)) {
      if ((key === 'text' || key === 'initial_comment') && typeof value === 'string') continue;
      // A message nested in an answer (`message`, `view`) keeps top-level semantics for its text.
      walk(value, `${path}.${key}`, key === 'message');
    }
  };
  walk(payload, '$', true);
  return out;
}
