import { z } from 'zod';

/** Contract section 5.3. Unknown fields are kept (`loose`) and ignored. */
export const PIPELINE_EVENT_TYPES = [
  'training.started',
  'training.succeeded',
  'training.failed',
  'evaluation.completed',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  // Contract 9: traffic shifting of a canary / linear / shadow deployment.
  'deployment.progress',
  // Contract 9: a monitor (Model Monitor, Evidently, WhyLabs, a custom job) saw drift or a quality drop.
  'drift.detected',
] as const;
export type PipelineEventType = (typeof PIPELINE_EVENT_TYPES)[number];

/** A Slack user id (`U…`, or `W…` on Enterprise Grid): the only requester a mention is made of. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{1,30}$/;
export function isSlackUserId(value: string): boolean {
  return SLACK_USER_ID.test(value);
}

/** Contract 9: what drifted (input data, the predictions, or measured quality against ground truth). */
export const DRIFT_SIGNALS = ['data', 'prediction', 'quality'] as const;
export type DriftSignal = (typeof DRIFT_SIGNALS)[number];

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Upper bounds of every event field (README "Event fields and their bounds"). They keep every
 * message inside Slack's limits and every id inside Airflow's: the deployment run id
 * `mlops_deploy__<model>_<version>_<10 hex>__<attempt>` must stay within Airflow's 250
 * characters, and a Deploy button carries the candidate id (model + version), never content.
 */
export const EVENT_BOUNDS = {
  id: 200,
  model: 100,
  version: 64,
  runPart: 250,
  url: 2000,
  trainingJob: 200,
  metricName: 100,
  metrics: 200,
  matrixLabels: 50,
  matrixLabel: 100,
  endpoint: 63,
  errorTask: 250,
  errorMessage: 200_000,
  linkName: 50,
  links: 20,
  lineageCommit: 100,
  lineageImage: 500,
  lineageData: 1000,
  requestedBy: 100,
  driftMetric: 200,
  driftFeature: 200,
} as const;
const B = EVENT_BOUNDS;
const url = z.url({ protocol: /^https?$/ }).max(B.url);

export const pipelineEventSchema = z
  .looseObject({
    id: z.string().min(1).max(B.id),
    type: z.enum(PIPELINE_EVENT_TYPES),
    model: z.string().min(1).max(B.model),
    version: z.string().max(B.version).regex(SEMVER, 'expected a semantic version such as 1.4.0').optional(),
    timestamp: z.iso.datetime({ offset: true }),
    run: z
      .looseObject({
        dagId: z.string().min(1).max(B.runPart).optional(),
        runId: z.string().min(1).max(B.runPart).optional(),
        url: url.optional(),
      })
      .optional(),
    trainingJob: z.string().max(B.trainingJob).optional(),
    metrics: z
      .record(z.string().min(1).max(B.metricName), z.number())
      .refine((m) => Object.keys(m).length <= B.metrics, { error: `at most ${B.metrics} metrics` })
      .optional(),
    confusionMatrix: z
      .object({
        labels: z.array(z.string().max(B.matrixLabel)).min(1).max(B.matrixLabels),
        matrix: z.array(z.array(z.number()).max(B.matrixLabels)).max(B.matrixLabels),
      })
      .refine((m) => m.matrix.length === m.labels.length && m.matrix.every((row) => row.length === m.labels.length), {
        error: 'matrix must be square with one row and one column per label',
      })
      .optional(),
    endpoint: z.string().min(1).max(B.endpoint).optional(),
    error: z
      .looseObject({
        task: z.string().max(B.errorTask).optional(),
        message: z.string().max(B.errorMessage),
        logUrl: url.optional(),
      })
      .optional(),
    links: z
      .record(z.string().min(1).max(B.linkName), url)
      .refine((l) => Object.keys(l).length <= B.links, { error: `at most ${B.links} links` })
      .optional(),
    lineage: z
      .looseObject({
        commit: z.string().max(B.lineageCommit).optional(),
        image: z.string().max(B.lineageImage).optional(),
        data: z.string().max(B.lineageData).optional(),
      })
      .optional(),
    // Any text is accepted (losing an evaluation over a bad requester would be worse);
    // parsePipelineEvent drops what is not a Slack user id, with a warning.
    requestedBy: z.string().max(B.requestedBy).optional(),
    // Contract 9 (deployment.progress): where the rollout stands.
    progress: z
      .looseObject({
        trafficPercent: z.number().min(0).max(100),
        step: z.number().int().min(0).max(1000).optional(),
        steps: z.number().int().min(1).max(1000).optional(),
        bakingUntil: z.iso.datetime({ offset: true }).optional(),
      })
      .optional(),
    // Contract 10: the SageMaker Model Registry package an evaluation stands for (Deploy/Reject then set its status).
    modelPackage: z
      .looseObject({
        arn: z.string().regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:\d{12}:model-package\/\S{1,2000}$/, 'expected a model package ARN'),
        group: z.string().min(1).max(63),
        version: z.number().int().min(1),
      })
      .optional(),
    // Contract 9 (drift.detected): what the monitor saw.
    drift: z
      .looseObject({
        signal: z.enum(DRIFT_SIGNALS),
        metric: z.string().min(1).max(B.driftMetric),
        value: z.number(),
        threshold: z.number(),
        feature: z.string().min(1).max(B.driftFeature).optional(),
        severity: z.enum(['low', 'high']).optional(),
        reportUrl: z
          .url({ protocol: /^(https?|s3)$/ })
          .max(B.url)
          .optional(),
      })
      .optional(),
  })
  .superRefine((event, ctx) => {
    const needsVersion = event.type !== 'training.started' && event.type !== 'training.failed' && event.type !== 'drift.detected';
    if (needsVersion && event.version === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: `required for ${event.type}` });
    }
    if (event.type === 'evaluation.completed' && event.metrics === undefined) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'required for evaluation.completed' });
    }
    if (event.type === 'deployment.progress' && event.progress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['progress'], message: 'required for deployment.progress' });
    }
    if (event.type === 'drift.detected' && event.drift === undefined) {
      ctx.addIssue({ code: 'custom', path: ['drift'], message: 'required for drift.detected' });
    }
    if (event.type.endsWith('.failed') && event.error === undefined) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: `required for ${event.type}` });
    }
  });

export type PipelineEvent = z.infer<typeof pipelineEventSchema>;

/** `warnings`: what was dropped from an accepted value (to be logged by the caller). */
export type ParseResult<T> = { ok: true; value: T; warnings?: string[] } | { ok: false; problems: string[] };

/** One readable line per problem: `path: message`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
}

/**
 * Validates an event. A `requestedBy` that is not a Slack user id is dropped (a warning says
 * so) and the event is kept: it then counts as "unknown requester" for the self-approval rule.
 */
export function parsePipelineEvent(input: unknown): ParseResult<PipelineEvent> {
  const result = pipelineEventSchema.safeParse(input);
  if (!result.success) return { ok: false, problems: formatIssues(result.error.issues) };
  const event = result.data;
  if (event.requestedBy === undefined || isSlackUserId(event.requestedBy)) return { ok: true, value: event };
  const { requestedBy, ...rest } = event;
  return {
    ok: true,
    value: rest,
    warnings: [`requestedBy: ${JSON.stringify(requestedBy.slice(0, 40))} is not a Slack user id (U… or W…); dropped, the requester is unknown`],
  };
}

/** The key that groups the events of one run (contract: same `run.runId`); else model + version. */
export function runKeyOf(event: PipelineEvent): string {
  if (event.run?.runId !== undefined) return `run:${event.run.runId}`;
  return `model:${event.model}@${event.version ?? 'unversioned'}`;
}
