/**
 * The string Amazon SNS signs (its developer guide, "Verifying the signatures of Amazon SNS
 * messages"): name and value pairs, each as `Name\nValue\n`, in byte-sort order of the names.
 * Notification: Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type.
 * SubscriptionConfirmation / UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
 * Timestamp, Token, TopicArn, Type. The same string serves signature versions 1 and 2.
 */
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

export function snsStringToSign(message: Readonly<Record<string, unknown>>): string | undefined {
  const type = message['Type'];
  const fields =
    type === 'Notification' ? NOTIFICATION_FIELDS : type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation' ? CONFIRMATION_FIELDS : undefined;
  if (fields === undefined) return undefined;
  let out = '';
  for (const name of fields) {
    const value = message[name];
    // Subject is the only optional signed field (absent, or null in some SDK renderings).
    if (name === 'Subject' && (value === undefined || value === null)) continue;
    if (typeof value !== 'string') return undefined;
    out += `${name}\n${value}\n`;
  }
  return out;
}
