import { z } from 'zod';

/** The parts of a block_actions payload a candidate button needs. */
const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().min(1).max(2000).optional() })).min(1),
  container: z
    .object({ channel_id: z.string().min(1).optional(), message_ts: z.string().min(1).optional() })
    .loose()
    .optional(),
  channel: z
    .object({ id: z.string().min(1) })
    .loose()
    .optional(),
  message: z
    .object({ ts: z.string().min(1) })
    .loose()
    .optional(),
});

export interface Click {
  userId: string;
  /** The button's value: a candidate id. */
  value: string;
  triggerId?: string;
  /** The message the button is on, when Slack says. */
  message?: { channel: string; ts: string };
}

/** Parses a button click; undefined when the payload lacks what a candidate button carries. */
export function parseClick(body: unknown): Click | undefined {
  const parsed = clickSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  const value = b.actions[0]?.value;
  if (value === undefined) return undefined;
  const channel = b.container?.channel_id ?? b.channel?.id;
  const ts = b.container?.message_ts ?? b.message?.ts;
  return {
    userId: b.user.id,
    value,
    ...(b.trigger_id !== undefined ? { triggerId: b.trigger_id } : {}),
    ...(channel !== undefined && ts !== undefined ? { message: { channel, ts } } : {}),
  };
}
