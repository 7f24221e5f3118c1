import type { RespondArguments } from '@slack/bolt';

/**
 * How long an answer to a response_url may take. Bolt's respond() has no timeout: a response_url
 * that never answers would hold the post-ack work slot (deps.postAckWork) of its command or click
 * until the socket dies, and eight of them stop every later command. Slack answers these in well
 * under a second; past this the answer is given up (and logged by the caller).
 */
export const RESPONSE_URL_TIMEOUT_MS = 5000;

export type TimedRespond = (message: string | RespondArguments) => Promise<void>;

/**
 * Bolt's respond() (POST the message as JSON to the response_url, a non-2xx is an error) with a
 * timeout that aborts the request. Undefined when the payload carried no response_url.
 */
export function respondInTime(responseUrl: unknown, opts: { timeoutMs?: number } = {}): TimedRespond | undefined {
  if (typeof responseUrl !== 'string' || responseUrl === '') return undefined;
  const timeoutMs = opts.timeoutMs ?? RESPONSE_URL_TIMEOUT_MS;
  return async (message) => {
    const body = typeof message === 'string' ? { text: message } : message;
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the body so the connection is released; its content does not matter.
    await response.text().catch(() => '');
    if (!response.ok) throw new Error(`the response_url answered HTTP ${response.status}`);
  };
}
