/** A background job started with the bot and stopped (bounded) at shutdown. */
export interface BackgroundJob {
  name: string;
  start(): void;
  stop(): Promise<void>;
}
