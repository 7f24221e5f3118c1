import { SandboxConfigError, startSandbox } from './start-sandbox';

/**
 * `npm run sandbox`: the bot, a Slack stand-in and a simulated pipeline in one process, with a page
 * to use them (docs/sandbox.md). The only reader of process.env here; it passes SANDBOX_PORT and
 * LOG_LEVEL on, to be parsed with the bot's own env schema.
 */
async function main(): Promise<void> {
  const started = Date.now();
  // The AWS SDK's notices (e.g. on the Node.js version) would be printed as raw multi-line text.
  process.removeAllListeners('warning');
  let sandbox;
  try {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: process.env['SANDBOX_PORT'], LOG_LEVEL: process.env['LOG_LEVEL'] } });
  } catch (error) {
    if (error instanceof SandboxConfigError) process.stderr.write(`mlops-chatops sandbox: ${error.message}\n`);
    else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      process.stderr.write(`mlops-chatops sandbox: the port is in use; set SANDBOX_PORT to a free one (e.g. SANDBOX_PORT=3100 npm run sandbox)\n`);
    else process.stderr.write(`mlops-chatops sandbox: could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
  const running = sandbox;
  process.stdout.write(
    `\nmlops-chatops sandbox is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s):\n\n  ${running.url}\n\n` +
      'The real bot, a Slack stand-in and a simulated pipeline, in this process (no Slack, AWS or Redis). Ctrl-C stops it.\n',
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the sandbox…\n`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`mlops-chatops sandbox: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
