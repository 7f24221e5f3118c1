import { z } from 'zod';
import { ErrorCode, MlopsError } from './errors';

export interface CommandLine {
  subcommand: string | undefined;
  args: string[];
  options: Record<string, string>;
}

const optionKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'option names are letters, digits, _ . -');

/**
 * Splits `/mlops` text into a subcommand, positional arguments and key=value options.
 * Quotes ("…" or '…', and Slack's curly quotes) group words; a repeated key is refused.
 */
export function parseCommandLine(text: string): CommandLine {
  const tokens = tokenize(text);
  const [first, ...rest] = tokens;
  const args: string[] = [];
  const options: Record<string, string> = {};
  for (const token of rest) {
    const eq = token.raw.indexOf('=');
    if (!token.quotedKey && eq > 0) {
      const key = token.raw.slice(0, eq);
      const parsedKey = optionKey.safeParse(key);
      if (!parsedKey.success) throw new MlopsError(ErrorCode.CommandInvalid, `"${key}": ${parsedKey.error.issues[0]?.message ?? 'bad option name'}`);
      if (Object.hasOwn(options, key)) throw new MlopsError(ErrorCode.CommandInvalid, `option "${key}" is given twice; give each option once`);
      options[key] = token.value.slice(eq + 1);
    } else {
      args.push(token.value);
    }
  }
  return { subcommand: first?.value.toLowerCase(), args, options };
}

interface Token {
  raw: string; // as typed, quotes removed only for the key=value split
  value: string; // quotes removed
  quotedKey: boolean; // the token starts with a quote, so `=` inside it is not an option
}

function tokenize(text: string): Token[] {
  const normalized = text.replace(/[\u201C\u201D]/g, '"').replace(/[\u2018\u2019]/g, "'");
  const tokens: Token[] = [];
  let i = 0;
  while (i < normalized.length) {
    while (i < normalized.length && /\s/.test(normalized[i] ?? '')) i++;
    if (i >= normalized.length) break;
    let value = '';
    let raw = '';
    const quotedKey = normalized[i] === '"' || normalized[i] === "'";
    while (i < normalized.length && !/\s/.test(normalized[i] ?? '')) {
      const ch = normalized[i] ?? '';
      if (ch === '"' || ch === "'") {
        const end = normalized.indexOf(ch, i + 1);
        if (end === -1) throw new MlopsError(ErrorCode.CommandInvalid, `unclosed ${ch} quote`);
        const inner = normalized.slice(i + 1, end);
        value += inner;
        raw += inner;
        i = end + 1;
      } else {
        value += ch;
        raw += ch;
        i++;
      }
    }
    tokens.push({ raw, value, quotedKey });
  }
  return tokens;
}

/** Damerau-free Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0;
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a small distance (or a prefix match), else undefined. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = name.startsWith(needle) && needle.length >= 2 ? 0 : editDistance(needle, name.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}
