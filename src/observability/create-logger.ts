import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino must censor wherever they appear in a log object. Raw request bodies are never
 * passed to the logger at all; these paths catch tokens and signatures that ride along in
 * headers, SDK errors and Slack client options.
 */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.signingSecret',
  'secret',
  '*.secret',
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-slack-signature"]',
  'headers["x-mlops-signature"]',
  '*.headers["x-slack-signature"]',
  '*.headers["x-mlops-signature"]',
  'headers.cookie',
  'body',
  'rawBody',
  '*.rawBody',
  'config.headers',
  'request.headers',
];

const TOKEN_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

/** Scrubs Slack tokens out of free text (error messages can quote request URLs or options). */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(TOKEN_PATTERN, '[REDACTED]');
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  return out;
}

export function createLogger(opts: { level: string; destination?: DestinationStream; secrets?: readonly string[] }): Logger {
  const secrets = opts.secrets ?? [];
  return pino(
    {
      level: opts.level,
      base: { service: 'mlops-chatops' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        err: (error: unknown) => {
          // A value that is not error-like comes back as it was: any field may be missing.
          const serialized: Partial<pino.SerializedError> = pino.stdSerializers.err(error as Error);
          // SDK and Slack client errors can carry request data; keep only safe fields, scrubbed.
          return {
            type: serialized.type,
            message: scrubSecrets(serialized.message ?? '', secrets),
            code: (error as { code?: unknown }).code,
            stack: scrubSecrets(serialized.stack ?? '', secrets),
          };
        },
      },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        // Last line of defence: scrub known secrets and token shapes from every message string.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg, secrets) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    opts.destination,
  );
}

/**
 * A child logger that adds only the fields its parent does not already carry with the same value.
 * Services get a caller's logger (a click's, a command's) that often binds the model or candidate
 * already; pino would print such a key twice in every line.
 */
export function childLogger(log: Logger, fields: Record<string, unknown>): Logger {
  const bound = log.bindings();
  const fresh: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (bound[key] !== value) fresh[key] = value;
  return log.child(fresh);
}
