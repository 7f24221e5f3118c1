import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';

/**
 * The sandbox's workspace: who acts, where the bot posts, which models it serves. The bot reads
 * this through its real config loader (a YAML file in memory), so every setting is validated as in
 * production; nothing here reaches the bot another way.
 */

export type SandboxRole = 'approver' | 'second-approver' | 'operator' | 'viewer';

export interface SandboxUser {
  id: string;
  name: string;
  realName: string;
  role: SandboxRole;
  description: string;
}

export interface SandboxChannel {
  id: string;
  name: string;
  purpose: string;
}

export const SANDBOX_WORKSPACE = { name: 'Acme ML (sandbox)' };

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: 'U0SANDAPR1', name: 'maya', realName: 'Maya Chen', role: 'approver', description: 'ML lead: may Deploy, Reject and Rollback' },
  {
    id: 'U0SANDAPR2',
    name: 'jonas',
    realName: 'Jonas Berg',
    role: 'second-approver',
    description: 'Second approver: churn-model needs two approvals before it deploys',
  },
  { id: 'U0SANDOPS1', name: 'priya', realName: 'Priya Raman', role: 'operator', description: 'ML engineer: may train and retrain, not deploy' },
  { id: 'U0SANDVIEW', name: 'sam', realName: 'Sam Patel', role: 'viewer', description: 'Analyst: may read status, every action is refused' },
];

export const SANDBOX_CHANNELS = {
  fraud: { id: 'C0FRAUD01', name: 'ml-fraud-detector', purpose: 'fraud-detector: training results, approvals, deployments' },
  churn: { id: 'C0CHURN01', name: 'ml-churn', purpose: 'churn-model: training results, approvals, deployments' },
  alerts: { id: 'C0ALERTS1', name: 'ml-alerts', purpose: 'Failures of every model, and the watchdog' },
  general: { id: 'C0GENERAL', name: 'general', purpose: 'Default channel: models without their own channel (demand-forecast)' },
  digest: { id: 'C0DIGEST1', name: 'ml-digest', purpose: 'The daily digest, at 09:00 Europe/Berlin: what waits, what broke, what drifted, what shipped' },
} as const satisfies Record<string, SandboxChannel>;

/** The operators' user group (its members come from the Slack stand-in's usergroups.users.list). */
export const ML_ENGINEERS_GROUP = { id: 'S0SANDMLE', members: ['U0SANDAPR1', 'U0SANDAPR2'] };

/** What the simulated pipeline needs to know of each model besides the bot's config. */
export interface SandboxModel {
  name: string;
  trainingDag: string;
  deploymentDag?: string;
  endpoint?: string;
  /** Production metrics at the start; candidates are drawn around them. */
  baseline: Record<string, number>;
  /** Metrics where lower is better. */
  minimize: readonly string[];
  productionVersion?: string;
  instanceType?: string;
}

const FRAUD: SandboxModel = {
  name: 'fraud-detector',
  trainingDag: 'fraud_detector_training',
  deploymentDag: 'fraud_detector_deployment',
  endpoint: 'fraud-detector-prod',
  baseline: { f1: 0.874, precision: 0.901, recall: 0.849, auc: 0.962 },
  minimize: [],
  productionVersion: '1.3.0',
  instanceType: 'ml.m5.xlarge',
};
const CHURN: SandboxModel = {
  name: 'churn-model',
  trainingDag: 'churn_model_training',
  deploymentDag: 'churn_model_deployment',
  endpoint: 'churn-model-prod',
  baseline: { auc: 0.842, logloss: 0.391, recall: 0.712 },
  minimize: ['logloss'],
  productionVersion: '2.1.0',
  instanceType: 'ml.m5.large',
};
const DEMAND: SandboxModel = {
  name: 'demand-forecast',
  trainingDag: 'demand_forecast_training',
  baseline: { mape: 0.118, rmse: 42.7 },
  minimize: ['mape', 'rmse'],
};
export const SANDBOX_MODELS: readonly SandboxModel[] = [FRAUD, CHURN, DEMAND];
/** fraud-detector: the model of the Model Registry controls (issue 16). */
export const SANDBOX_FRAUD_MODEL: SandboxModel = FRAUD;

export const SANDBOX_LAMBDA_FUNCTION = 'mlops-dag-trigger';
/** The SageMaker Model Registry group fraud-detector follows in the sandbox (issue 16). */
export const SANDBOX_PACKAGE_GROUP = 'fraud-detector-packages';

/** The bot's config file (contract section 3), as the sandbox runs it. */
export function sandboxFileConfig(): Record<string, unknown> {
  const approvers = SANDBOX_USERS.filter((u) => u.role === 'approver' || u.role === 'second-approver').map((u) => u.id);
  const operators = SANDBOX_USERS.filter((u) => u.role === 'operator').map((u) => u.id);
  return {
    slack: { defaultChannel: SANDBOX_CHANNELS.general.id, alertChannel: SANDBOX_CHANNELS.alerts.id },
    approvers: { users: approvers, usergroups: [] },
    operators: { users: operators, usergroups: [ML_ENGINEERS_GROUP.id] },
    trigger: { kind: 'lambda', functionName: SANDBOX_LAMBDA_FUNCTION },
    models: {
      [FRAUD.name]: {
        channel: SANDBOX_CHANNELS.fraud.id,
        trainingDag: FRAUD.trainingDag,
        deploymentDag: FRAUD.deploymentDag,
        endpoint: FRAUD.endpoint,
        primaryMetric: 'f1',
        metrics: { f1: 'maximize', precision: 'maximize', recall: 'maximize', auc: 'maximize' },
        requiredApprovals: 1,
        // Issue 14: pick a strategy beside Deploy; the bake report follows a minute after each deployment.
        strategies: [
          { type: 'all-at-once' },
          { type: 'canary', trafficPercent: 10, bakeMinutes: 10 },
          { type: 'linear', stepPercent: 25, bakeMinutes: 5 },
          { type: 'shadow', samplePercent: 50, durationHours: 24 },
        ],
        bake: { minutes: 1, maxLatencyIncrease: 0.2, max5xxRate: 0.01 },
        // Issue 16: the 'Register a model package' / 'Approve in Studio' controls use this group.
        modelPackageGroup: SANDBOX_PACKAGE_GROUP,
      },
      [CHURN.name]: {
        channel: SANDBOX_CHANNELS.churn.id,
        trainingDag: CHURN.trainingDag,
        deploymentDag: CHURN.deploymentDag,
        endpoint: CHURN.endpoint,
        primaryMetric: 'auc',
        metrics: { auc: 'maximize', logloss: 'minimize', recall: 'maximize' },
        requiredApprovals: 2,
      },
      // No channel: its messages go to slack.defaultChannel (#general).
      [DEMAND.name]: {
        trainingDag: DEMAND.trainingDag,
        primaryMetric: 'mape',
        metrics: { mape: 'minimize', rmse: 'minimize' },
        // Issue 15: the bot owns its retraining (`/mlops schedule`, the Home tab's next due run).
        retrainSchedule: { cron: '0 3 * * *', timezone: 'Europe/Berlin', catchUp: false },
      },
    },
    // A run the pipeline never reports on is noticed within a minute or two (the `silent` run).
    watchdog: { enabled: true, staleAfterMinutes: 1, intervalSeconds: 10 },
    // Issue 16: production-like timers, reached with the page's "Skip ahead" (+1 h: the reminder
    // and its DMs; +1 day: the card expires) instead of minutes that would fire while a visitor reads.
    approvals: { remindAfterMinutes: 60, expireAfterHours: 24 },
    // One digest a day at 09:00 in Berlin (the demand-forecast schedule's zone); +4 h or +1 day reach it.
    digest: { channel: SANDBOX_CHANNELS.digest.id, time: '09:00', timezone: 'Europe/Berlin' },
  };
}

export function sandboxConfigYaml(): string {
  return `# mlops-chatops sandbox configuration (generated by src/sandbox/sandbox-config.ts)\n${stringify(sandboxFileConfig())}`;
}

export interface SandboxSecrets {
  botToken: string;
  signingSecret: string;
  webhookSecret: string;
}

/** Fresh per process: nothing outside this process can sign a request to the sandbox's bot. */
export function sandboxSecrets(): SandboxSecrets {
  return {
    botToken: `xoxb-sandbox-${randomBytes(12).toString('hex')}`,
    signingSecret: randomBytes(16).toString('hex'),
    webhookSecret: randomBytes(16).toString('hex'),
  };
}

/** Where the sandbox's config file lives; only the sandbox's own in-memory reader knows it. */
export const SANDBOX_CONFIG_PATH = '/sandbox/mlops.config.yml';

/**
 * The bot's environment in the sandbox: its own secrets, the Slack stand-in, the in-memory store
 * (no REDIS_URL), a loopback bot port. Only SANDBOX_PORT and LOG_LEVEL come from the caller's
 * environment; everything else a developer may have set (REDIS_URL, AWS_*) is left out on purpose.
 */
export function sandboxEnvironment(opts: {
  secrets: SandboxSecrets;
  slackApiUrl: string;
  awsUrl: string;
  fromProcess: { SANDBOX_PORT?: string | undefined; LOG_LEVEL?: string | undefined };
}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: opts.secrets.botToken,
    SLACK_SIGNING_SECRET: opts.secrets.signingSecret,
    PIPELINE_WEBHOOK_SECRET: opts.secrets.webhookSecret,
    SLACK_API_URL: opts.slackApiUrl,
    AWS_ENDPOINT_URL: opts.awsUrl,
    AWS_REGION: 'us-east-1',
    PORT: '0',
    HOST: '127.0.0.1',
    MLOPS_CONFIG: SANDBOX_CONFIG_PATH,
    // The bot's warnings are about what a person just did on the page (refusals); LOG_LEVEL=info shows them.
    LOG_LEVEL: opts.fromProcess.LOG_LEVEL ?? 'error',
    ...(opts.fromProcess.SANDBOX_PORT !== undefined ? { SANDBOX_PORT: opts.fromProcess.SANDBOX_PORT } : {}),
  };
}
