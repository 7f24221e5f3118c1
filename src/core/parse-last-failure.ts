import { z } from 'zod';

export interface LastFailure {
  message: string;
  at?: string;
  type?: string;
  task?: string;
  /** Only http(s) links are kept: the value ends up as a Slack link. */
  logUrl?: string;
  runId?: string;
}

const text = z.string().trim().min(1).max(10_000).optional().catch(undefined);
const failureSchema = z.object({
  at: z.iso.datetime({ offset: true }).optional().catch(undefined),
  type: text,
  task: text,
  message: text,
  logUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .catch(undefined),
  runId: text,
});

/**
 * Reads the last failure of a model (storeKeys.lastFailure, written by the delivery code as
 * JSON `{at, type, task?, message, logUrl?, runId?}`) tolerantly: a missing or malformed field is
 * dropped, text that is not JSON is taken as the message, and only an empty value is "none".
 */
export function parseLastFailure(raw: string | null | undefined): LastFailure | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { message: raw.trim().slice(0, 2000) };
  }
  if (typeof value === 'string') return value.trim() === '' ? undefined : { message: value.trim().slice(0, 2000) };
  const parsed = failureSchema.safeParse(value);
  if (!parsed.success) return { message: 'a failure was recorded, but its details could not be read' };
  const f = parsed.data;
  const out: LastFailure = { message: f.message ?? f.type ?? 'failed (no message recorded)' };
  if (f.at !== undefined) out.at = f.at;
  if (f.type !== undefined) out.type = f.type;
  if (f.task !== undefined) out.task = f.task;
  if (f.logUrl !== undefined) out.logUrl = f.logUrl;
  if (f.runId !== undefined) out.runId = f.runId;
  return out;
}
