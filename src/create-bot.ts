import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { BotDeps } from './bot-deps';
import { envSecrets, type Config } from './config/config-schema';
import { createWorkLimiter } from './core/create-work-limiter';
import { waitAtMost } from './core/time-limit';
import { systemClock, type Clock, type DagTrigger, type EndpointInspector } from './core/ports';
import type { Store } from './core/store';
import { pendingDeliveries } from './outbox';
import { createEventRecorder, type RecordedEvent } from './pipeline-events/record-event';
import type { DeliveryWorkerOptions } from './outbox';
import { createMessageRecorder, createMessageUpdater } from './outbox';
import { createHttpServer, type HttpRoute } from './http/create-http-server';
import { healthRoutes } from './http/health-routes';
import { PIPELINE_HOOK_PATH, pipelineHookRoute } from './pipeline-events/pipeline-hook-route';
import { requestContext } from './http/request-context';
import { createLogger, type Logger } from './observability/create-logger';
import { createMetrics } from './observability/create-metrics';
import { registerListeners } from './register-listeners';
import type { BackgroundJob } from './jobs/leased-job';
import type { EvaluationChartsOptions } from './charts';
import { createSlackApp, SLACK_EVENTS_PATH } from './slack/create-slack-app';
import type { RetryPolicy } from './slack/verify-bot-token';
import { createAuditLog, createCandidateRepository, createDeployments, createProductionRegistry } from './deployments';
import { createPrincipalResolver } from './slack/principal-resolver';
import { createRunRegistry } from './training';
import { createStore } from './store/create-store';
import { checkRedisServer } from './store/check-redis-server';
import { DEFAULT_KEY_PREFIX } from './store/store-keys';
import type { AwsClientsOptions } from './aws/aws-clients';
import { createAwsPorts } from './aws/create-aws-ports';
import type { ModelRegistrySync } from './approvals';

export interface BotOptions {
  config: Config;
  logger?: Logger;
  /** Tests and benchmarks swap ports here; production builds them from config. */
  overrides?: {
    store?: Store;
    clock?: Clock;
    trigger?: DagTrigger;
    inspector?: EndpointInspector;
    keyPrefix?: string;
    /** Explicit AWS client settings (loopback fakes) instead of the SDK's environment configuration. */
    aws?: AwsClientsOptions;
    /** Backoff of the startup Slack token check while Slack is unreachable. */
    slackTokenRetry?: RetryPolicy;
    /** Delivery worker settings (retry backoff, give-up limit). */
    delivery?: DeliveryWorkerOptions;
    /** Charts of evaluation cards: a test renderer, or false for none. */
    charts?: EvaluationChartsOptions | false;
  };
  /**
   * Hears of a refused Slack token, or of a Redis that may evict keys, found after start() returned
   * (Slack or Redis was unreachable at first); default: logged.
   */
  onFatal?: (error: Error) => void;
}

export interface Bot {
  deps: BotDeps;
  server: Server;
  /** The background jobs the features brought (started by start(), stopped by stop()); tests run their passes. */
  jobs: readonly BackgroundJob[];
  /** The SageMaker Model Registry sync (contract 10), when a model follows a group; tests run its passes. */
  modelRegistry?: ModelRegistrySync;
  /** Resolves with the bound port. */
  start(): Promise<number>;
  /** Graceful stop per contract 1: refuse new requests, finish in-flight work (<= timeoutMs), close the store. */
  stop(timeoutMs?: number): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;
/**
 * Work after an ack (AWS calls, store reads, response_url answers) runs at most this many at a
 * time: a burst of commands or clicks must not crowd out the next acks (Slack allows 3 s).
 */
const POST_ACK_CONCURRENCY = 8;
const POST_ACK_QUEUE = 1000;

/** The composition root: builds every adapter once and wires them into Bolt and the routes. */
export function createBot(options: BotOptions): Bot {
  const { config } = options;
  const secrets = envSecrets(config.env);
  const logger = options.logger ?? createLogger({ level: config.env.LOG_LEVEL, secrets });
  const metrics = createMetrics();
  const clock = options.overrides?.clock ?? systemClock;
  const store =
    options.overrides?.store ??
    createStore({
      ...(config.env.REDIS_URL !== undefined ? { redisUrl: config.env.REDIS_URL } : {}),
      redisCluster: config.env.REDIS_CLUSTER,
      ...(config.env.REDIS_CA_FILE !== undefined ? { redisCaFile: config.env.REDIS_CA_FILE } : {}),
      keyPrefix: options.overrides?.keyPrefix ?? DEFAULT_KEY_PREFIX,
      logger: logger.child({ component: 'store' }),
    });
  const slack = createSlackApp({
    env: config.env,
    logger,
    customPropertiesExtractor: (req) => ({ requestId: requestContext(req, logger).requestId }),
    ...(options.overrides?.slackTokenRetry !== undefined ? { tokenRetry: options.overrides.slackTokenRetry } : {}),
  });
  const aws = createAwsPorts(config, options.overrides);
  const onRecorded: ((r: RecordedEvent) => void)[] = [];
  const adapters: Omit<BotDeps, 'deployments'> = {
    config,
    store,
    logger,
    metrics,
    clock,
    slack: slack.client,
    deliveryClient: slack.deliveryClient,
    ...(aws.trigger !== undefined ? { trigger: aws.trigger } : {}),
    ...(aws.inspector !== undefined ? { inspector: aws.inspector } : {}),
    ...(aws.modelRegistry !== undefined ? { modelRegistry: aws.modelRegistry } : {}),
    recordEvent: createEventRecorder({ store, onRecorded: (r) => onRecorded.forEach((fn) => fn(r)) }),
    // The delivery worker's poll (every 500 ms) picks these up.
    recordMessage: createMessageRecorder({ store }),
    updateMessage: createMessageUpdater({ store, clock }),
    slackIdentity: () => slack.verification()?.current(),
    candidates: createCandidateRepository(store, logger),
    production: createProductionRegistry(store),
    audit: createAuditLog(store),
    runs: createRunRegistry(store),
    postAckWork: createWorkLimiter({ concurrency: POST_ACK_CONCURRENCY, maxQueued: POST_ACK_QUEUE }),
    principals: createPrincipalResolver({
      store,
      slack: slack.client,
      cacheSeconds: config.file.approvals.usergroupCacheSeconds,
      logger: logger.child({ component: 'principals' }),
    }),
  };
  // Each feature once, handed to the listeners, commands and jobs that need it.
  const deps: BotDeps = { ...adapters, deployments: createDeployments(adapters) };

  let shuttingDown = false;
  const {
    jobs,
    routes: extraRoutes,
    modelRegistry,
  } = registerListeners(slack.app, deps, {
    onRecorded,
    ...(options.overrides?.delivery !== undefined ? { delivery: options.overrides.delivery } : {}),
    ...(options.overrides?.charts !== undefined ? { charts: options.overrides.charts } : {}),
  });
  const routes: HttpRoute[] = [
    ...healthRoutes({ store, metrics, isShuttingDown: () => shuttingDown }),
    {
      path: PIPELINE_HOOK_PATH,
      method: 'POST',
      handler: pipelineHookRoute({
        secret: config.env.PIPELINE_WEBHOOK_SECRET,
        config: config.file,
        recordEvent: deps.recordEvent,
        clock,
        logger,
        metrics,
      }),
    },
    ...extraRoutes,
  ];
  const server = createHttpServer({
    routes,
    ...(slack.httpListener !== undefined ? { slackListener: slack.httpListener } : {}),
    slackPath: SLACK_EVENTS_PATH,
    logger,
    metrics,
  });

  /**
   * The in-memory store dies with the process: at a stop, give the outbox until `until` to post what
   * it holds (it keeps running meanwhile), then say what is lost instead of dropping it silently.
   */
  async function finishInMemoryDeliveries(until: number): Promise<void> {
    for (;;) {
      const pending = await pendingDeliveries(store).catch(() => undefined);
      if (pending === undefined || pending.events + pending.messages === 0 || performance.now() >= until) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  async function reportLostDeliveries(): Promise<void> {
    const pending = await pendingDeliveries(store).catch(() => undefined);
    if (pending === undefined || pending.events + pending.messages === 0) return;
    metrics.eventsFailed.inc({ type: 'unknown' }, pending.events + pending.messages);
    logger.error(
      { undeliveredEvents: pending.events, undeliveredMessages: pending.messages, sample: pending.sample },
      'stopped with undelivered Slack messages that lived only in memory: they are lost (set REDIS_URL to keep them across restarts)',
    );
  }

  return {
    deps,
    server,
    jobs,
    ...(modelRegistry !== undefined ? { modelRegistry } : {}),
    start: async () => {
      // Before listening: a Redis reached the wrong way (TLS, cluster mode) or that may evict locks
      // and dedup markers is refused (README "Redis").
      await checkRedisServer(store, {
        mode: config.env.REDIS_MAXMEMORY_POLICY_CHECK,
        logger,
        onFatal: options.onFatal ?? ((error) => logger.fatal({ err: error }, 'Redis may evict keys')),
      }).catch(async (error: unknown) => {
        await store.close().catch(() => undefined);
        throw error;
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.env.PORT, config.env.HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
      // Verifies the bot token (auth.test, once); /readyz does not wait for Slack (see README).
      try {
        await slack.start(options.onFatal ?? ((error) => logger.fatal({ err: error }, 'Slack refused a token')));
      } catch (error) {
        server.close();
        await store.close().catch(() => undefined);
        throw error;
      }
      for (const job of jobs) job.start();
      const port = (server.address() as AddressInfo).port;
      logger.info(
        { port, host: config.env.HOST, store: store.kind, socketMode: slack.socketMode, models: Object.keys(config.file.models) },
        'mlops-chatops is listening',
      );
      return port;
    },
    stop: async (timeoutMs = SHUTDOWN_TIMEOUT_MS) => {
      if (shuttingDown) return;
      shuttingDown = true;
      // Real elapsed time, not deps.clock: the stop bound is a real wait (contract: <= 10 s), and a
      // test's clock may stand still.
      const deadline = performance.now() + timeoutMs;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (store.kind === 'memory') await finishInMemoryDeliveries(deadline - 1500);
      await waitAtMost(Promise.all([closed, slack.stop(), ...jobs.map((j) => j.stop())]), Math.max(0, deadline - performance.now() - 500));
      server.closeAllConnections();
      if (store.kind === 'memory') await reportLostDeliveries();
      await store.close().catch((error: unknown) => logger.warn({ err: error }, 'store did not close cleanly'));
      logger.info('mlops-chatops stopped');
    },
  };
}
