import { z } from 'zod';
import { formatIssues, type ParseResult } from './pipeline-event';

/** The JSON body SNS posts to an HTTP(S) subscription (all three message types). */
export const snsEnvelopeSchema = z.looseObject({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1).max(1024),
  Message: z.string().max(1024 * 1024),
  Timestamp: z.iso.datetime({ offset: true }),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(2048),
  Subject: z.string().max(1000).nullable().optional(),
  SubscribeURL: z.string().max(4096).optional(),
  Token: z.string().max(2048).optional(),
  UnsubscribeURL: z.string().max(4096).optional(),
});
export type SnsEnvelope = z.infer<typeof snsEnvelopeSchema>;

export function parseSnsEnvelope(input: unknown): ParseResult<SnsEnvelope> {
  const result = snsEnvelopeSchema.safeParse(input);
  if (!result.success) return { ok: false, problems: formatIssues(result.error.issues) };
  const value = result.data;
  if (value.Type !== 'Notification' && (value.SubscribeURL === undefined || value.Token === undefined)) {
    return { ok: false, problems: [`SubscribeURL and Token: required for ${value.Type}`] };
  }
  return { ok: true, value };
}
