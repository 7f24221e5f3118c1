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
] as const;
export type PipelineEventType = (typeof PIPELINE_EVENT_TYPES)[number];

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const url = z.url({ protocol: /^https?$/ }).max(2000);

export const pipelineEventSchema = z
  .looseObject({
    id: z.string().min(1).max(200),
    type: z.enum(PIPELINE_EVENT_TYPES),
    model: z.string().min(1).max(100),
    version: z.string().regex(SEMVER, 'expected a semantic version such as 1.4.0').optional(),
    timestamp: z.iso.datetime({ offset: true }),
    run: z
      .looseObject({
        dagId: z.string().min(1).max(250).optional(),
        runId: z.string().min(1).max(250).optional(),
        url: url.optional(),
      })
      .optional(),
    trainingJob: z.string().max(200).optional(),
    metrics: z.record(z.string().min(1).max(100), z.number().finite()).optional(),
    confusionMatrix: z
      .object({
        labels: z.array(z.string().max(100)).min(1).max(50),
        matrix: z.array(z.array(z.number().finite()).max(50)).max(50),
      })
      .refine((m) => m.matrix.length === m.labels.length && m.matrix.every((row) => row.length === m.labels.length), {
        message: 'matrix must be square with one row and one column per label',
      })
      .optional(),
    endpoint: z.string().min(1).max(63).optional(),
    error: z
      .looseObject({
        task: z.string().max(250).optional(),
        message: z.string().max(200_000),
        logUrl: url.optional(),
      })
      .optional(),
    links: z.record(z.string(), url).optional(),
    lineage: z
      .looseObject({ commit: z.string().max(100).optional(), image: z.string().max(500).optional(), data: z.string().max(1000).optional() })
      .optional(),
    requestedBy: z.string().max(100).optional(),
  })
  .superRefine((event, ctx) => {
    const needsVersion = event.type !== 'training.started' && event.type !== 'training.failed';
    if (needsVersion && event.version === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: `required for ${event.type}` });
    }
    if (event.type === 'evaluation.completed' && event.metrics === undefined) {
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'required for evaluation.completed' });
    }
    if (event.type.endsWith('.failed') && event.error === undefined) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: `required for ${event.type}` });
    }
  });

export type PipelineEvent = z.infer<typeof pipelineEventSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** One readable line per problem: `path: message`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`);
}

export function parsePipelineEvent(input: unknown): ParseResult<PipelineEvent> {
  const result = pipelineEventSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: formatIssues(result.error.issues) };
}

/** The key that groups the events of one run (contract: same `run.runId`); else model + version. */
export function runKeyOf(event: PipelineEvent): string {
  if (event.run?.runId !== undefined) return `run:${event.run.runId}`;
  return `model:${event.model}@${event.version ?? 'unversioned'}`;
}
