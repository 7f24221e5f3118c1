import { envSecrets } from './config/config-schema';
import { loadConfig } from './config/load-config';
import { createBot } from './create-bot';
import { ErrorCode, isMlopsError } from './core/errors';
import { modelWarnings } from './core/model-warnings';
import { createLogger } from './observability/create-logger';
import { SlackSetupError } from './slack/verify-bot-token';

/** Entry point: the only place that reads process.env. */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    process.stderr.write(`mlops-chatops: configuration is invalid (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}):\n`);
    for (const line of loaded.problems) process.stderr.write(`  - ${line}\n`);
    process.exit(1);
  }
  const { config } = loaded;
  const secrets = envSecrets(config.env);
  const logger = createLogger({ level: config.env.LOG_LEVEL, secrets });
  // Node prints process warnings as raw multi-line text (the AWS SDK's notice on Node 20 is 8
  // lines); as one JSON line instead, so log collectors parsing the stream are not broken.
  process.removeAllListeners('warning');
  process.on('warning', (w) => logger.warn({ warning: w.name }, w.message.replace(/\s*\n\s*/g, ' ').trim()));
  for (const warning of [...loaded.warnings, ...modelWarnings(config.file, config.env)]) logger.warn(warning);
  // A token Slack refuses is a setting to fix: one line naming it, no stack trace, exit 1.
  const refused = (error: unknown): boolean => {
    // Same for a Redis that may evict keys (store/check-eviction-policy.ts): the line says the fix.
    if (isMlopsError(error, ErrorCode.ConfigInvalid)) {
      process.stderr.write(`mlops-chatops: ${error.message}\n`);
      logger.fatal({ code: error.code, ...error.details }, error.message);
      return true;
    }
    if (!(error instanceof SlackSetupError)) return false;
    process.stderr.write(`mlops-chatops: ${error.message}\n`);
    logger.fatal({ setting: error.setting, slackError: error.slackError }, error.message);
    return true;
  };
  const bot = createBot({
    config,
    logger,
    onFatal: (error) => {
      if (!refused(error)) logger.fatal({ err: error }, 'Slack failed');
      process.exit(1);
    },
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  try {
    await bot.start();
  } catch (error) {
    if (!refused(error)) logger.fatal({ err: error }, 'could not start');
    process.exit(1);
  }
}

void main();
