import { z } from 'zod';

/** Airflow DAG ids: letters, digits, `_ . -` (Airflow's KEY_REGEX), at most 250 characters. */
const dagName = z.string().regex(/^[A-Za-z0-9_.-]{1,250}$/, 'expected an Airflow DAG id (letters, digits, _ . -; at most 250)');
/**
 * Airflow's default `allowed_run_id_pattern` (`^[A-Za-z0-9_.~:+-]+$`): a run id outside it is refused
 * by Airflow anyway, and excluding `/` keeps it safe inside the `GET …/dagRuns/{id}` path.
 */
const dagRunId = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9_.~:+-]+$/, 'expected letters, digits and _ . ~ : + - only');

/** Contract section 6: `{dag_name, dag_run_id, conf}`; `action` defaults to `trigger`. */
const triggerInput = z.object({
  action: z.literal('trigger').optional(),
  dag_name: dagName,
  dag_run_id: dagRunId.optional(),
  conf: z.record(z.string(), z.unknown()).optional(),
});
/** Additive extension: the run's state, for the bot's watchdog and for CI jobs that wait. */
const statusInput = z.object({
  action: z.literal('status'),
  dag_name: dagName,
  dag_run_id: dagRunId,
});

export type LambdaInput =
  { action: 'trigger'; dagName: string; dagRunId?: string; conf: Record<string, unknown> } | { action: 'status'; dagName: string; dagRunId: string };

export type ParsedInput = { ok: true; value: LambdaInput } | { ok: false; problems: string[] };

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`);
}

export function parseLambdaInput(event: unknown): ParsedInput {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { ok: false, problems: ['(input): expected a JSON object such as {"dag_name": "…", "conf": {}}'] };
  }
  const action = (event as Record<string, unknown>).action;
  if (action === 'status') {
    const result = statusInput.safeParse(event);
    if (!result.success) return { ok: false, problems: problemsOf(result.error) };
    return { ok: true, value: { action: 'status', dagName: result.data.dag_name, dagRunId: result.data.dag_run_id } };
  }
  if (action !== undefined && action !== 'trigger') {
    return { ok: false, problems: [`action: expected "trigger" (the default) or "status", got ${JSON.stringify(action)}`] };
  }
  const result = triggerInput.safeParse(event);
  if (!result.success) return { ok: false, problems: problemsOf(result.error) };
  const { dag_name, dag_run_id, conf } = result.data;
  return { ok: true, value: { action: 'trigger', dagName: dag_name, ...(dag_run_id !== undefined && { dagRunId: dag_run_id }), conf: conf ?? {} } };
}
