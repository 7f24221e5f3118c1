import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config/load-config';
import type { Config } from '../config/config-schema';
import { systemClock } from '../core/ports';
import { createBot, type Bot } from '../create-bot';
import { createLogger, type Logger } from '../observability/create-logger';
import { startFakeAws, type FakeAws } from './fake-aws-server';
import { startFakeSlack, type FakeSlack } from './fake-slack-server';
import {
  ML_ENGINEERS_GROUP,
  SANDBOX_CHANNELS,
  SANDBOX_CONFIG_PATH,
  SANDBOX_MODELS,
  SANDBOX_USERS,
  SANDBOX_WORKSPACE,
  sandboxConfigYaml,
  sandboxEnvironment,
  sandboxSecrets,
} from './sandbox-config';
import { createSandboxServer } from './sandbox-routes';
import { sandboxState } from './sandbox-state';
import { seedHistory } from './seed-history';
import { pipelineHeaders } from './sign-requests';
import { createSimulatedPipeline, type NextRun, type PipelineEventBody, type SimulatedPipeline } from './simulated-pipeline';
import { createSlackInteractions } from './slack-interactions';

/**
 * One process, the whole product (contract section 8): the real bot (createBot: its HTTP server,
 * Bolt app, in-memory store, delivery worker, watchdog) in HTTP mode, the Slack stand-in its Web API
 * client talks to (SLACK_API_URL), the fake AWS its real SDK clients talk to (overrides.aws), the
 * simulated pipeline behind the fake Lambda, and the page server.
 */

export interface SandboxOptions {
  /** The caller's environment; only SANDBOX_PORT and LOG_LEVEL are read (parsed by the bot's env schema). */
  env: { SANDBOX_PORT?: string | undefined; LOG_LEVEL?: string | undefined };
  /** Page server bind address (default 127.0.0.1: the sandbox is for this machine only). */
  host?: string;
  logger?: Logger;
  /** Start from the seeded history (default true). */
  seed?: boolean;
}

export interface Sandbox {
  /** The page: http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  config: Config;
  /** The bot's own base URL (a loopback port of its real HTTP server); changes at reset(). */
  botUrl(): string;
  slack: FakeSlack;
  aws: FakeAws;
  /** Back to the seeded state: a fresh bot (fresh in-memory store), fresh stand-ins, the history again. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The configuration did not load (one line per problem, as the bot's own startup reports them). */
export class SandboxConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`sandbox configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SandboxConfigError';
  }
}

/** Bot-side timings that make the sandbox feel live (documented in docs/sandbox.md). */
const SANDBOX_DELIVERY = { pollMs: 50, postIntervalMs: 100 };
const BOT_STOP_MS = 3000;
const FAKE_AWS_CREDENTIALS = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-not-a-secret' };

/** The package root (holding package.json): the page is read from src/sandbox/page there, from src or from dist. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const secrets = sandboxSecrets();
  // A little latency, as Slack and AWS have: enough to see the bot answer in time, not to wait for it.
  const slack = await startFakeSlack({ latencyMs: { default: 40 } });
  const aws = await startFakeAws();
  const loaded = loadConfig(sandboxEnvironment({ secrets, slackApiUrl: slack.apiUrl, awsUrl: aws.url, fromProcess: options.env }), (path) =>
    path === SANDBOX_CONFIG_PATH ? sandboxConfigYaml() : undefined,
  );
  if (!loaded.ok) {
    await Promise.all([slack.close(), aws.close()]);
    throw new SandboxConfigError(loaded.problems);
  }
  const { config } = loaded;
  const botLogger = options.logger ?? createLogger({ level: config.env.LOG_LEVEL, secrets: [secrets.botToken, secrets.signingSecret, secrets.webhookSecret] });
  const logger = botLogger.child({ component: 'sandbox' });
  const channels = Object.values(SANDBOX_CHANNELS);

  let version = 0;
  const versionListeners = new Set<(version: number) => void>();
  let announced = false;
  /** Every change of the stand-ins or the pipeline bumps the version; listeners hear once per tick. */
  const bump = (): void => {
    version += 1;
    if (announced) return;
    announced = true;
    setImmediate(() => {
      announced = false;
      for (const listener of [...versionListeners]) listener(version);
    });
  };
  slack.onChange(bump);

  let bot: Bot | undefined;
  let botUrl = '';
  let pipeline: SimulatedPipeline | undefined;
  let unsubscribePipeline = (): void => undefined;

  const sendEvent = async (event: PipelineEventBody): Promise<number> => {
    const body = JSON.stringify(event);
    const response = await fetch(`${botUrl}/hooks/pipeline`, { method: 'POST', headers: pipelineHeaders(secrets.webhookSecret, body), body });
    await response.text();
    return response.status;
  };
  const interactions = createSlackInteractions({ slack, botUrl: () => botUrl, signingSecret: secrets.signingSecret, users: SANDBOX_USERS, channels });

  /** The workspace as Slack knows it: names for users.info, the operators' user group. */
  function prepareStandIns(): void {
    aws.latency('lambda', 'Invoke', 150);
    aws.latency('sagemaker', '*', 60);
    aws.latency('cloudwatch', '*', 90);
    for (const user of SANDBOX_USERS) {
      slack.setUser(user.id, { name: user.name, real_name: user.realName, profile: { real_name: user.realName, display_name: user.name } });
    }
    slack.setUsergroup(ML_ENGINEERS_GROUP.id, ML_ENGINEERS_GROUP.members);
  }

  async function startWorld(seed: boolean): Promise<void> {
    prepareStandIns();
    pipeline = createSimulatedPipeline({
      aws,
      models: SANDBOX_MODELS,
      sendEvent,
      now: () => systemClock.now(),
      onError: (error, what) => logger.error({ err: error, step: what }, 'sandbox: a simulated pipeline step failed'),
    });
    unsubscribePipeline = pipeline.onChange(bump);
    bot = createBot({
      config,
      logger: botLogger,
      overrides: {
        aws: { endpoint: aws.url, region: 'us-east-1', credentials: FAKE_AWS_CREDENTIALS, maxAttempts: 2, requestTimeoutMs: 5000 },
        delivery: SANDBOX_DELIVERY,
      },
    });
    botUrl = `http://127.0.0.1:${await bot.start()}`;
    if (seed) {
      await seedHistory({
        slack,
        aws,
        pipeline,
        interactions,
        sendEvent,
        now: () => systemClock.now(),
        rejectedBy: SANDBOX_USERS.find((u) => u.role === 'second-approver')?.id ?? 'U0SANDAPR2',
      });
    }
    bump();
  }

  async function stopWorld(): Promise<void> {
    pipeline?.stop();
    unsubscribePipeline();
    await bot?.stop(BOT_STOP_MS);
    bot = undefined;
  }

  const seed = options.seed ?? true;
  let resetting = Promise.resolve();
  const reset = (): Promise<void> => {
    // One reset at a time; a failed one does not block the next.
    resetting = resetting
      .catch(() => undefined)
      .then(async () => {
        await stopWorld();
        slack.reset();
        aws.reset();
        await startWorld(seed);
      });
    return resetting;
  };
  function requirePipeline(): SimulatedPipeline {
    if (pipeline === undefined) throw new Error('sandbox: the pipeline is not running');
    return pipeline;
  }
  const page = createSandboxServer({
    pageDir: join(packageRoot(), 'src', 'sandbox', 'page'),
    state: () =>
      sandboxState({
        workspace: SANDBOX_WORKSPACE,
        users: SANDBOX_USERS,
        channels,
        slack,
        pipeline: requirePipeline(),
        version,
      }),
    interactions,
    setNextRun: (next: NextRun) => requirePipeline().setNextRun(next),
    drift: async ({ model, signal, severity }) => {
      const quality = signal === 'quality';
      const status = await sendEvent({
        id: `sandbox-drift-${randomUUID()}`,
        type: 'drift.detected',
        model,
        timestamp: systemClock.now().toISOString(),
        drift: {
          signal,
          metric: quality ? 'f1' : 'psi',
          value: quality ? 0.78 : 0.31,
          threshold: quality ? 0.85 : 0.2,
          ...(quality ? {} : { feature: 'amount' }),
          severity,
          reportUrl: `https://monitoring.example.com/${encodeURIComponent(model)}/drift`,
        },
      });
      return status === 202 ? { ok: true } : { ok: false, error: `the bot answered ${status}` };
    },
    reset,
    onVersion: (listener) => {
      versionListeners.add(listener);
      return () => void versionListeners.delete(listener);
    },
    onError: (error, route) => logger.error({ err: error, route }, 'sandbox: a page request failed'),
    file: (id) => {
      const uploaded = slack.files().find((f) => f.id === id);
      return uploaded?.content !== undefined ? { content: uploaded.content, filename: uploaded.filename } : undefined;
    },
  });

  const closeStandIns = async () => {
    await stopWorld().catch((error: unknown) => logger.warn({ err: error }, 'sandbox: the bot did not stop cleanly'));
    await Promise.all([slack.close(), aws.close()]);
  };
  try {
    await startWorld(seed);
    await new Promise<void>((resolve, reject) => {
      page.server.once('error', reject);
      page.server.listen(config.env.SANDBOX_PORT, options.host ?? '127.0.0.1', () => {
        page.server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await page.close();
    await closeStandIns();
    throw error;
  }
  const port = (page.server.address() as AddressInfo).port;
  let stopped = false;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    config,
    botUrl: () => botUrl,
    slack,
    aws,
    reset,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await resetting.catch(() => undefined);
      await page.close();
      await closeStandIns();
    },
  };
}
