import { z } from 'zod';
import { freezeWindowProblem } from '../core/approval-gate';
import { isValidCron, isValidTimeZone } from '../core/retrain-schedule';

/** Contract section 3, plus additive extensions (documented in README "Configuration"). */

const slackId = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}[A-Z0-9]{2,}$`), `expected a Slack ${what} id starting with ${prefix}`);
const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD');
const dagId = z.string().regex(/^[A-Za-z0-9_.-]{1,250}$/, 'expected an Airflow DAG id (letters, digits, _ . -)');
const endpointName = z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'expected a SageMaker endpoint name');

export const principalsSchema = z.strictObject({
  users: z.array(slackId('[UW]', 'user')).default([]),
  usergroups: z.array(slackId('S', 'user group')).default([]),
});
export type Principals = z.infer<typeof principalsSchema>;

const percent = z.number().gt(0).max(100);
const strategySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('all-at-once') }),
  z.strictObject({ type: z.literal('canary'), trafficPercent: percent.default(10), bakeMinutes: z.number().min(0).max(1440).default(10) }),
  z.strictObject({ type: z.literal('linear'), stepPercent: percent.default(25), bakeMinutes: z.number().min(0).max(1440).default(5) }),
  z.strictObject({ type: z.literal('shadow'), samplePercent: percent.default(50), durationHours: z.number().gt(0).max(720).default(24) }),
]);
/** Bake defaults (README "Deployment strategies and the bake report"). */
export const BAKE_DEFAULTS = { minutes: 30, maxLatencyIncrease: 0.2, max5xxRate: 0.01 } as const;
const bakeSchema = z.strictObject({
  minutes: z.number().gt(0).max(1440).default(BAKE_DEFAULTS.minutes),
  maxLatencyIncrease: z.number().min(0).max(100).default(BAKE_DEFAULTS.maxLatencyIncrease),
  max5xxRate: z.number().min(0).max(1).default(BAKE_DEFAULTS.max5xxRate),
});
export type BakeConfig = z.infer<typeof bakeSchema>;

/** Contract 9: `{cron, timezone, catchUp}`; the cron and the IANA time zone are checked at startup. */
const retrainScheduleSchema = z.strictObject({
  cron: z
    .string()
    .min(1)
    .max(100)
    .refine((expr) => isValidCron(expr), { error: 'not a valid cron expression (5 fields: minute hour day month weekday)' }),
  timezone: z
    .string()
    .min(1)
    .max(100)
    .refine((tz) => isValidTimeZone(tz), { error: 'not an IANA time zone (e.g. Europe/Berlin, UTC)' })
    .default('UTC'),
  catchUp: z.boolean().default(true),
});
export type RetrainScheduleConfig = z.infer<typeof retrainScheduleSchema>;

const modelSchema = z.strictObject({
  channel: channelId.optional(),
  trainingDag: dagId.optional(),
  deploymentDag: dagId.optional(),
  endpoint: endpointName.optional(),
  primaryMetric: z.string().min(1).optional(),
  metrics: z.record(z.string().min(1), z.enum(['maximize', 'minimize'])).default({}),
  approvers: principalsSchema.optional(),
  operators: principalsSchema.optional(),
  requiredApprovals: z.number().int().min(1).max(10).default(1),
  // Contract 9: offered at Deploy (the first is the default) and the bake after deployment.succeeded.
  strategies: z.array(strategySchema).min(1).max(10).optional(),
  bake: bakeSchema.optional(),
  // Contract 9: when set, the bot owns the model's retraining schedule (src/schedules).
  retrainSchedule: retrainScheduleSchema.optional(),
  // Contract 10: the SageMaker Model Registry group followed both ways (src/model-registry).
  modelPackageGroup: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'a model package group name: letters, digits and hyphens, at most 63')
    .optional(),
});
export type ModelConfig = z.infer<typeof modelSchema>;

const triggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lambda'), functionName: z.string().min(1) }),
  z.strictObject({ kind: z.literal('mwaa'), environment: z.string().min(1) }),
]);
export type TriggerConfig = z.infer<typeof triggerSchema>;

export const fileConfigSchema = z
  .strictObject({
    slack: z.strictObject({ defaultChannel: channelId.optional(), alertChannel: channelId.optional() }).default({}),
    approvers: principalsSchema.default({ users: [], usergroups: [] }),
    operators: principalsSchema.default({ users: [], usergroups: [] }),
    trigger: triggerSchema.optional(),
    sns: z
      .strictObject({
        topicArns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'expected an SNS topic ARN')).default([]),
      })
      .default({ topicArns: [] }),
    models: z.record(z.string().regex(/^[a-z0-9][a-z0-9-_]{0,99}$/, 'model names are lowercase letters, digits, - and _'), modelSchema).default({}),
    // Contract 10: one daily message in `channel` at `time` (HH:MM, local to `timezone`), skipped when empty.
    digest: z
      .strictObject({
        channel: channelId,
        time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time such as 09:00'),
        timezone: z.string().min(1).default('UTC'),
      })
      .optional(),
    // Extensions (not in contract v1; all optional with the defaults below).
    approvals: z
      .strictObject({
        /** Forbid approving a run that the same user started. */
        forbidSelfApproval: z.boolean().default(true),
        usergroupCacheSeconds: z.number().int().min(0).max(3600).default(60),
        // Contract 10 (src/approvals): one reminder, then expiry, counted from the card's creation; unset = off.
        remindAfterMinutes: z
          .number()
          .gt(0)
          .max(30 * 24 * 60)
          .optional(),
        expireAfterHours: z
          .number()
          .gt(0)
          .max(365 * 24)
          .optional(),
        // Contract 10 (core/approval-gate.ts): a deploy past a failed gate or inside a freeze window needs a reason.
        gate: z
          .strictObject({
            minImprovement: z.number().min(0).default(0),
            floors: z.record(z.string().min(1), z.number()).optional(),
          })
          .optional(),
        freeze: z
          .array(
            z.strictObject({
              cron: z.string().min(1),
              durationHours: z
                .number()
                .gt(0)
                .max(24 * 31),
              timezone: z.string().min(1).default('UTC'),
            }),
          )
          .max(20)
          .default([]),
      })
      .default({ forbidSelfApproval: true, usergroupCacheSeconds: 60, freeze: [] }),
    deployments: z
      .strictObject({
        lockTimeoutMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(60),
        /** A deployment left half-done by a crash is finished after this (longer than one trigger call). */
        recoveryGraceSeconds: z.number().min(0.1).max(3600).default(120),
        recoveryIntervalSeconds: z.number().min(0.1).max(3600).default(30),
      })
      .default({ lockTimeoutMinutes: 60, recoveryGraceSeconds: 120, recoveryIntervalSeconds: 30 }),
    training: z
      .strictObject({
        duplicateWindowMinutes: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 60)
          .default(120),
      })
      .default({ duplicateWindowMinutes: 120 }),
    alerts: z
      .strictObject({
        groupWindowMinutes: z
          .number()
          .int()
          .min(0)
          .max(24 * 60)
          .default(10),
      })
      .default({ groupWindowMinutes: 10 }),
    watchdog: z
      .strictObject({
        enabled: z.boolean().default(true),
        staleAfterMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(120),
        intervalSeconds: z.number().int().min(10).max(3600).default(60),
      })
      .default({ enabled: true, staleAfterMinutes: 120, intervalSeconds: 60 }),
  })
  .superRefine((config, ctx) => {
    config.approvals.freeze.forEach((window, i) => {
      const problem = freezeWindowProblem(window);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['approvals', 'freeze', i], message: problem });
    });
    if (config.digest !== undefined && !isValidTimeZone(config.digest.timezone)) {
      ctx.addIssue({ code: 'custom', path: ['digest', 'timezone'], message: `"${config.digest.timezone}" is not a time zone (e.g. Europe/Berlin)` });
    }
    const { remindAfterMinutes, expireAfterHours } = config.approvals;
    if (remindAfterMinutes !== undefined && expireAfterHours !== undefined && remindAfterMinutes >= expireAfterHours * 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'remindAfterMinutes'],
        message: `the reminder (${remindAfterMinutes} min) would come after the expiry (${expireAfterHours} h): make it shorter or drop it`,
      });
    }
    const groupOwners = new Map<string, string>();
    for (const [name, model] of Object.entries(config.models)) {
      const group = model.modelPackageGroup;
      if (group !== undefined) {
        const owner = groupOwners.get(group);
        // One model per group: a package event must name exactly one candidate's model.
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', name, 'modelPackageGroup'],
            message: `"${group}" is already followed by ${owner}: one model per group`,
          });
        } else groupOwners.set(group, name);
      }
      if (model.primaryMetric !== undefined && Object.keys(model.metrics).length > 0 && !(model.primaryMetric in model.metrics)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', name, 'primaryMetric'],
          message: `"${model.primaryMetric}" is not one of this model's metrics (${Object.keys(model.metrics).join(', ')})`,
        });
      }
    }
  });
export type FileConfig = z.infer<typeof fileConfigSchema>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z.string({ error: 'is required (the bot token, xoxb-…)' }).regex(/^xox[bp]-\S+$/, 'expected a bot token starting with xoxb-'),
  SLACK_SIGNING_SECRET: z.string().min(1, 'must not be empty').optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-\S+$/, 'expected an app-level token starting with xapp-')
    .optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port/db or rediss://…' }).optional(),
  // REDIS_URL names one node of a Redis Cluster (ElastiCache Serverless, cluster mode, MemoryDB).
  REDIS_CLUSTER: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  // PEM CA bundle trusted for rediss:// on top of the system CAs (checked in load-config.ts).
  REDIS_CA_FILE: z.string().min(1, 'must not be empty (unset it to trust the system CAs only)').optional(),
  // Startup check that Redis will not evict keys (store/check-eviction-policy.ts).
  REDIS_MAXMEMORY_POLICY_CHECK: z.enum(['refuse', 'warn', 'off'], { error: 'expected refuse, warn or off' }).default('refuse'),
  MLOPS_CONFIG: z.string().min(1).default('./mlops.config.yml'),
  PIPELINE_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  // Read by the AWS SDK itself; parsed here only to know whether endpoints are overridden
  // (then host prefixes are disabled so loopback endpoints work).
  AWS_ENDPOINT_URL: z.string().optional(),
  // Only to warn at startup when a trigger is configured without it (core/model-warnings.ts).
  AWS_REGION: z.string().optional(),
  AWS_ENDPOINT_URL_LAMBDA: z.string().optional(),
  AWS_ENDPOINT_URL_SAGEMAKER: z.string().optional(),
  AWS_ENDPOINT_URL_CLOUDWATCH: z.string().optional(),
  AWS_ENDPOINT_URL_MWAA: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  // Port of the sandbox page (`npm run sandbox`, contract 8 and 11); the bot itself ignores it.
  SANDBOX_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(3000),
});
export type EnvConfig = z.infer<typeof envSchema>;

/** The secret values of the environment, for the logger to redact wherever they appear (a new secret setting goes here too). */
export function envSecrets(env: EnvConfig): string[] {
  return [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.SLACK_APP_TOKEN, env.PIPELINE_WEBHOOK_SECRET].filter((s): s is string => s !== undefined);
}

export interface Config {
  env: EnvConfig;
  file: FileConfig;
  /** False when no config file was found (empty configuration, warned at startup). */
  fileFound: boolean;
  configPath: string;
}
