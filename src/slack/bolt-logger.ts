import { LogLevel, type Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../observability/create-logger';

/**
 * Bolt and the Web API client log through pino, so their lines get the same redaction.
 * Bolt logs at debug on every request: the text is built only when the level is enabled,
 * so a disabled level costs nothing on the ack path.
 */
export function boltLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  const at =
    (pinoLevel: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      if (log.isLevelEnabled(pinoLevel)) log[pinoLevel](text(msg));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
