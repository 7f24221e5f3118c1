import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { createBot, type Bot, type BotOptions } from '../../src/create-bot';
import type { Clock } from '../../src/core/ports';
import { createLogger } from '../../src/observability/create-logger';
import { captureLogs } from './capture-logs';
import { duplicateLogKeys } from './duplicate-log-keys';
import { startFakeAws, type FakeAws } from './fake-aws-server';
import { startFakeSlack, type FakeSlack } from './fake-slack-server';
import { blockActionPayload, interactionBody, pipelineHeaders, slackHeaders, slashCommandBody, viewSubmissionPayload } from './sign-requests';
import { TEST_BOT_TOKEN, TEST_REDIS_URL, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET } from './test-secrets';
import { testKeyPrefix } from './test-key-prefix';

export interface TestBotOptions {
  /** The config file's content (as an object; written as YAML and parsed by the real loader). */
  fileConfig?: Record<string, unknown> | null;
  /** Use the real Redis (default) or the in-memory store. */
  store?: 'redis' | 'memory';
  /** Share a key prefix between bots to simulate replicas; default: a fresh prefix. */
  keyPrefix?: string;
  slack?: FakeSlack;
  aws?: FakeAws;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  overrides?: BotOptions['overrides'];
  onFatal?: BotOptions['onFatal'];
}

export interface TestBot {
  url: string;
  port: number;
  bot: Bot;
  slack: FakeSlack;
  aws: FakeAws;
  keyPrefix: string;
  logs: ReturnType<typeof captureLogs>;
  /** POST a signed slash command; returns the HTTP response (the ack). */
  command(text: string, opts?: { userId?: string; channelId?: string; responseUrl?: string }): Promise<Response>;
  /** POST a signed block_actions click. */
  click(opts: Omit<Parameters<typeof blockActionPayload>[0], 'responseUrl'> & { responseUrl?: string }): Promise<Response>;
  submitView(opts: Parameters<typeof viewSubmissionPayload>[0]): Promise<Response>;
  /** POST raw form body to /slack/events with a valid signature. */
  slackPost(body: string, headers?: Record<string, string>): Promise<Response>;
  /** POST a signed pipeline event to /hooks/pipeline. */
  hook(event: unknown, opts?: { secret?: string; timestamp?: number }): Promise<Response>;
  stop(): Promise<void>;
}

/** What the log scans of this process covered (reported by the secret-scan test). */
export const logScan = { bots: 0, lines: 0 };

export const SAMPLE_CONFIG = {
  slack: { defaultChannel: 'C0DEFAULT', alertChannel: 'C0ALERTS' },
  approvers: { users: ['U0ALICE'], usergroups: ['S0MLOPS'] },
  operators: { users: [], usergroups: [] },
  trigger: { kind: 'lambda', functionName: 'mlops-dag-trigger' },
  sns: { topicArns: ['arn:aws:sns:us-east-1:123456789012:mlops-events'] },
  models: {
    'fraud-detector': {
      channel: 'C0FRAUD',
      trainingDag: 'fraud_detector_training',
      deploymentDag: 'fraud_detector_deployment',
      endpoint: 'fraud-detector-prod',
      primaryMetric: 'f1',
      metrics: { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize' },
      requiredApprovals: 1,
    },
    'churn-predictor': {
      channel: 'C0CHURN',
      trainingDag: 'churn_predictor_training',
      deploymentDag: 'churn_predictor_deployment',
      endpoint: 'churn-predictor-prod',
      primaryMetric: 'auc',
      metrics: { auc: 'maximize', logloss: 'minimize' },
    },
  },
};

/** Starts the real bot on a free loopback port, wired to a fake Slack, a fake AWS and (by default) the real Redis. */
export async function startTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const slack = options.slack ?? (await startFakeSlack());
  const aws = options.aws ?? (await startFakeAws());
  const keyPrefix = options.keyPrefix ?? testKeyPrefix();
  const fileConfig = options.fileConfig === undefined ? SAMPLE_CONFIG : options.fileConfig;
  const env: Record<string, string | undefined> = {
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    PIPELINE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    ...(fileConfig === null ? {} : { MLOPS_CONFIG: '/virtual/mlops.config.yml' }),
    AWS_ENDPOINT_URL: aws.url,
    ...(options.store === 'memory' ? {} : { REDIS_URL: TEST_REDIS_URL }),
    ...options.env,
  };
  const loaded = loadConfig(env, () => (fileConfig === null ? undefined : stringify(fileConfig)));
  if (!loaded.ok) {
    if (options.slack === undefined) await slack.close();
    if (options.aws === undefined) await aws.close();
    throw new Error(`test config invalid:\n${loaded.problems.join('\n')}`);
  }
  const logs = captureLogs();
  const logger = createLogger({ level: 'debug', destination: logs.stream, secrets: [TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET] });
  const bot = createBot({
    config: loaded.config,
    logger,
    ...(options.onFatal !== undefined ? { onFatal: options.onFatal } : {}),
    overrides: {
      keyPrefix,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      aws: {
        endpoint: aws.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-aws-secret' },
        maxAttempts: 2,
        requestTimeoutMs: 3000,
      },
      // Evaluation charts add a thread reply after each card: off unless a test asks (overrides.charts).
      charts: false,
      ...options.overrides,
    },
  });
  const port = await bot.start();
  const url = `http://127.0.0.1:${port}`;
  // Every signature this kit sends is remembered, so stop() can prove none reached the logs.
  const sentSignatures = new Set<string>();
  const slackPost = (body: string, headers: Record<string, string> = {}) => {
    const signed = slackHeaders(TEST_SIGNING_SECRET, body);
    sentSignatures.add(signed['x-slack-signature'] ?? '');
    return fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed, ...headers },
      body,
    });
  };
  return {
    url,
    port,
    bot,
    slack,
    aws,
    keyPrefix,
    logs,
    slackPost,
    command: (text, opts = {}) => slackPost(slashCommandBody({ text, responseUrl: opts.responseUrl ?? slack.responseUrl(), ...opts })),
    click: (opts) => slackPost(interactionBody(blockActionPayload({ responseUrl: slack.responseUrl(), ...opts }))),
    submitView: (opts) => slackPost(interactionBody(viewSubmissionPayload(opts))),
    hook: (event, opts = {}) => {
      const body = typeof event === 'string' ? event : JSON.stringify(event);
      const headers = pipelineHeaders(opts.secret ?? TEST_WEBHOOK_SECRET, body, opts.timestamp);
      sentSignatures.add(headers['x-mlops-signature'] ?? '');
      return fetch(`${url}/hooks/pipeline`, { method: 'POST', headers, body });
    },
    stop: async () => {
      await bot.stop(2000);
      if (options.slack === undefined) await slack.close();
      if (options.aws === undefined) await aws.close();
      // Every test bot's logs are scanned: the whole suite proves secrets never reach the logs.
      const text = logs.text();
      const leaked = [TEST_BOT_TOKEN, TEST_SIGNING_SECRET, TEST_WEBHOOK_SECRET, ...sentSignatures].filter((s) => s !== '' && text.includes(s));
      if (leaked.length > 0) throw new Error(`secrets or signatures reached the logs (${leaked.length}): ${leaked.map((s) => s.slice(0, 6)).join(', ')}…`);
      // And each line carries each key once (a child's bindings repeated by the call hide which is which).
      const repeated = logs.lines.flatMap((line) => {
        const keys = duplicateLogKeys(line);
        return keys.length === 0 ? [] : [`${keys.join(', ')} in ${line.slice(0, 300)}`];
      });
      if (repeated.length > 0) throw new Error(`log lines carry a key twice (${repeated.length}):\n${[...new Set(repeated)].slice(0, 5).join('\n')}`);
      logScan.bots++;
      logScan.lines += logs.lines.length;
    },
  };
}
