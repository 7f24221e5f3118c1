import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { loadConfig } from '../config/load-config';
import type { Config } from '../config/config-schema';
import { createBot, type Bot } from '../create-bot';
import { pendingDeliveries } from '../outbox';
import { createLogger, type Logger } from '../observability/create-logger';
import { MODEL_PACKAGE_STATE_CHANGE, mapModelPackageEvent } from '../core/map-model-package-event';
import { FAKE_ACCOUNT, FAKE_REGION, startFakeAws, type FakeAws } from './fake-aws-server';
import { startFakeSlack, type FakeSlack } from './fake-slack-server';
import {
  ML_ENGINEERS_GROUP,
  SANDBOX_CHANNELS,
  SANDBOX_CONFIG_PATH,
  SANDBOX_MODELS,
  SANDBOX_FRAUD_MODEL,
  SANDBOX_PACKAGE_GROUP,
  SANDBOX_USERS,
  SANDBOX_WORKSPACE,
  sandboxConfigYaml,
  sandboxEnvironment,
  sandboxSecrets,
} from './sandbox-config';
import { createSandboxClock, type SandboxClock } from './sandbox-clock';
import { createSandboxServer, type SkipAhead } from './sandbox-routes';
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
  /** The sandbox's time at start (default: the real time); tests pin the time of day the digest depends on. */
  startAt?: Date;
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
  /** The sandbox's time (the bot's deps.clock): real time plus what the page skipped ahead. */
  clock: SandboxClock;
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
/** How long the sandbox lets the bot's outbox finish what it holds (seed, skip ahead) before going on anyway. */
const SETTLE_MS = 5000;
const SETTLE_POLL_MS = 25;
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
  const clock = createSandboxClock(options.startAt);
  const slack = await startFakeSlack({ latencyMs: { default: 40 }, now: () => clock.now().getTime() });
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
    // Signed at the sandbox's time: the bot checks the signature's age against its own clock.
    const signedAt = Math.floor(clock.now().getTime() / 1000);
    const response = await fetch(`${botUrl}/hooks/pipeline`, { method: 'POST', headers: pipelineHeaders(secrets.webhookSecret, body, signedAt), body });
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
      now: () => clock.now(),
      onError: (error, what) => logger.error({ err: error, step: what }, 'sandbox: a simulated pipeline step failed'),
    });
    unsubscribePipeline = pipeline.onChange(bump);
    bot = createBot({
      config,
      logger: botLogger,
      overrides: {
        aws: { endpoint: aws.url, region: 'us-east-1', credentials: FAKE_AWS_CREDENTIALS, maxAttempts: 2, requestTimeoutMs: 5000 },
        delivery: SANDBOX_DELIVERY,
        clock,
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
        now: () => clock.now(),
        rejectedBy: SANDBOX_USERS.find((u) => u.role === 'second-approver')?.id ?? 'U0SANDAPR2',
      });
      // Seen in Slack is not yet done: the outbox's bookkeeping after a post (the card's place on
      // its candidate, which the reminder threads under) finishes before the page is offered.
      await outboxSettled();
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
        clock.reset();
        slack.reset();
        aws.reset();
        registeredPackages = 0;
        await startWorld(seed);
      });
    return resetting;
  };
  /**
   * "Skip ahead": the sandbox's time moves forward, then each of the bot's background jobs runs
   * the pass its timer would have run by then (approval timers, digest, bake, schedules,
   * watchdog): the real jobs decide and post through the outbox, as in production.
   */
  async function skipAhead(ms: number): Promise<SkipAhead> {
    // What is in flight lands at the time it was sent, before the hours pass.
    await outboxSettled();
    const now = clock.advance(ms);
    bump();
    const jobs = bot?.jobs ?? [];
    for (const job of jobs) {
      // BackgroundJob promises start/stop only; the time-driven ones are leased jobs, which have runOnce.
      const runOnce = (job as { runOnce?: () => Promise<unknown> }).runOnce;
      if (runOnce === undefined) continue;
      try {
        await runOnce.call(job);
      } catch (error) {
        logger.error({ err: error, job: job.name }, 'sandbox: a job pass after skipping ahead failed');
      }
    }
    return { ok: true, now: now.toISOString(), skippedMs: clock.skippedMs() };
  }

  /** Until the bot's outbox holds nothing (every post done, its bookkeeping included), bounded: a busy bot is not waited for. */
  async function outboxSettled(): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    while (bot !== undefined && Date.now() < deadline) {
      const pending = await pendingDeliveries(bot.deps.store);
      if (pending.events + pending.messages === 0) return;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }

  // Issue 16: the Model Registry controls. Packages live in the fake SageMaker; their events reach the bot as
  // EventBridge would deliver them (the same mapping as /hooks/sns; a decision goes through the registry sync).
  let registeredPackages = 0;
  async function modelPackage(action: 'register' | 'approve' | 'reject'): Promise<{ ok: true } | { ok: false; error: string }> {
    const now = clock.now().toISOString();
    if (action === 'register') {
      registeredPackages += 1;
      const n = registeredPackages;
      const arn = `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:model-package/${SANDBOX_PACKAGE_GROUP}/${n}`;
      const metrics = Object.fromEntries(Object.entries(SANDBOX_FRAUD_MODEL.baseline).map(([k, v]) => [`metric.${k}`, (v + 0.004 * n).toFixed(3)]));
      const detail = {
        ModelPackageGroupName: SANDBOX_PACKAGE_GROUP,
        ModelPackageVersion: n,
        ModelPackageArn: arn,
        CreationTime: now,
        LastModifiedTime: now,
        ModelPackageStatus: 'Completed',
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [
            {
              Image: `${FAKE_ACCOUNT}.dkr.ecr.${FAKE_REGION}.amazonaws.com/mlops/fraud-detector:registry-${n}`,
              ModelDataUrl: `s3://sandbox-models/fraud-detector/registry-${n}/model.tar.gz`,
            },
          ],
        },
        CustomerMetadataProperties: { ...metrics, 'mlops:version': `1.${10 + n}.0` },
      };
      aws.sagemaker.setModelPackage(detail);
      const event = { 'detail-type': MODEL_PACKAGE_STATE_CHANGE, source: 'aws.sagemaker', region: FAKE_REGION, time: now, detail };
      const mapped = mapModelPackageEvent(event, { [SANDBOX_PACKAGE_GROUP]: SANDBOX_FRAUD_MODEL.name });
      if (!mapped.ok || mapped.kind !== 'pending') return { ok: false, error: 'the package event did not map' };
      const status = await sendEvent({
        ...mapped.event,
        id: String(mapped.event['id']),
        type: 'evaluation.completed',
        model: SANDBOX_FRAUD_MODEL.name,
        timestamp: now,
      });
      return status === 202 ? { ok: true } : { ok: false, error: `the bot answered ${status}` };
    }
    const n = registeredPackages;
    const arn = `arn:aws:sagemaker:${FAKE_REGION}:${FAKE_ACCOUNT}:model-package/${SANDBOX_PACKAGE_GROUP}/${n}`;
    const current = aws.sagemaker.modelPackage(arn);
    if (n === 0 || current === undefined) return { ok: false, error: 'register a model package first' };
    if (bot?.modelRegistry === undefined) return { ok: false, error: 'the registry sync is not running' };
    const status = action === 'approve' ? 'Approved' : 'Rejected';
    const by = 'studio-user';
    aws.sagemaker.setModelPackage({
      ...current,
      ModelPackageArn: arn,
      ModelApprovalStatus: status,
      ApprovalDescription: `${status} in SageMaker Studio (sandbox)`,
      LastModifiedTime: now,
      LastModifiedBy: { UserProfileName: by, DomainId: 'd-sandbox' },
    });
    await bot.modelRegistry.applyDecision(
      { model: SANDBOX_FRAUD_MODEL.name, package: { arn, group: SANDBOX_PACKAGE_GROUP, version: n }, status, by, at: now },
      logger,
    );
    return { ok: true };
  }

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
        clock,
        ...(config.file.digest !== undefined ? { digest: config.file.digest } : {}),
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
        timestamp: clock.now().toISOString(),
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
    skipAhead,
    modelPackage: ({ action }) => modelPackage(action),
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
    clock,
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
