/**
 * When each channel may get its next chat.postMessage: about one per second per channel
 * (Slack's posting limit), measured from the END of the previous call so that network jitter
 * cannot bring two posts closer than the interval at Slack's side; and not before a 429's
 * Retry-After for that channel. Channels never wait for each other. In memory: after a restart
 * the first post of a channel may come early, and Slack's 429 then paces it.
 */
export class ChannelPacer {
  private readonly next = new Map<string, number>();
  constructor(private readonly intervalMs: number) {}

  readyAt(channel: string): number {
    return this.next.get(channel) ?? 0;
  }

  /** A post to the channel just returned (whatever its outcome). */
  posted(channel: string, atMs: number): void {
    this.blockUntil(channel, atMs + this.intervalMs);
  }

  blockUntil(channel: string, untilMs: number): void {
    this.next.set(channel, Math.max(this.readyAt(channel), untilMs));
  }
}
