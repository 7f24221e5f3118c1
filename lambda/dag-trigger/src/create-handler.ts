import { randomBytes } from 'node:crypto';
import { dagIdFitsRestApi, dagRunsPath, MAX_REST_API_PATH, readDagRun, stringField } from './airflow-dag-runs';
import { MwaaRestError, type MwaaRestClient } from './mwaa-rest-client';

export { MAX_REST_API_PATH } from './airflow-dag-runs';
import { parseLambdaInput } from './parse-lambda-input';

/** Contract section 6 answer; `already_triggered` is set when the run id existed (Airflow 409). */
export interface TriggerAnswer {
  dag_run_id: string;
  state: string;
  already_triggered?: true;
}
/** Answer to `{"action": "status"}`. Dates are Airflow's ISO strings, null while unset. */
export interface StatusAnswer {
  dag_run_id: string;
  state: string;
  start_date?: string | null;
  end_date?: string | null;
}
/**
 * Failures are answered, not thrown: the bot treats a payload with `statusCode >= 400` as a failure
 * and shows `message`; a thrown error would only surface as an opaque `FunctionError`.
 */
export interface ErrorAnswer {
  statusCode: number;
  message: string;
  problems?: string[];
}
export type LambdaAnswer = TriggerAnswer | StatusAnswer | ErrorAnswer;

export interface HandlerDeps {
  client: MwaaRestClient;
  environment: string;
  allowedDags: ReadonlySet<string>;
  newRunId?: () => string;
  /** One JSON line per invocation (CloudWatch Logs). */
  log?: (line: Record<string, unknown>) => void;
}

function nullableDate(value: unknown, name: string): string | null | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'string' || field === null ? field : undefined;
}

/** Airflow answered the call but has no such run: reported as 404 like Airflow's own. */
class RunNotFound extends Error {}

/** Maps an MWAA/Airflow failure to an answer: 404 when Airflow does not know the DAG or run, else 502. */
function failure(error: unknown, what: string): ErrorAnswer {
  if (error instanceof RunNotFound) return { statusCode: 404, message: `${what}: ${error.message}` };
  if (error instanceof MwaaRestError) {
    if (error.restApiStatusCode === 404) return { statusCode: 404, message: `${what}: Airflow answered 404 (${error.message})` };
    return { statusCode: 502, message: `${what}: ${error.message}` };
  }
  return { statusCode: 502, message: `${what}: ${error instanceof Error ? error.message : String(error)}` };
}

/**
 * A run id for callers that sent none (e.g. a manual `aws lambda invoke`). Shaped like Airflow's own
 * `manual__<timestamp>` ids, plus a random suffix so two calls in the same millisecond differ.
 * Callers that may retry should send their own deterministic id instead: that is what makes a
 * retried trigger answer `already_triggered` rather than start a second run.
 */
export function generateDagRunId(now: Date = new Date(), suffix: string = randomBytes(4).toString('hex')): string {
  return `mlops__${now.toISOString()}__${suffix}`;
}

export function createHandler(deps: HandlerDeps): (event: unknown) => Promise<LambdaAnswer> {
  const newRunId = deps.newRunId ?? (() => generateDagRunId());
  const log = deps.log ?? ((line) => console.log(JSON.stringify(line)));

  /** The run's JSON (airflow-dag-runs.ts: within the 64-character Path limit); RunNotFound when Airflow has no such run. */
  async function readRun(dagName: string, dagRunId: string): Promise<unknown> {
    const lookup = await readDagRun(deps.client, deps.environment, dagName, dagRunId);
    if (!lookup.found) throw new RunNotFound(lookup.detail);
    return lookup.run;
  }

  async function runState(dagName: string, dagRunId: string): Promise<StatusAnswer> {
    const body = await readRun(dagName, dagRunId);
    const startDate = nullableDate(body, 'start_date');
    const endDate = nullableDate(body, 'end_date');
    return {
      dag_run_id: stringField(body, 'dag_run_id') ?? dagRunId,
      state: stringField(body, 'state') ?? 'unknown',
      ...(startDate !== undefined && { start_date: startDate }),
      ...(endDate !== undefined && { end_date: endDate }),
    };
  }

  async function trigger(dagName: string, dagRunId: string, conf: Record<string, unknown>): Promise<LambdaAnswer> {
    try {
      const result = await deps.client.invokeRestApi(deps.environment, {
        method: 'POST',
        path: dagRunsPath(dagName),
        body: { dag_run_id: dagRunId, conf },
      });
      const body = result.restApiResponse;
      return { dag_run_id: stringField(body, 'dag_run_id') ?? dagRunId, state: stringField(body, 'state') ?? 'queued' };
    } catch (error) {
      if (!(error instanceof MwaaRestError) || error.restApiStatusCode !== 409) return failure(error, `cannot trigger DAG "${dagName}"`);
    }
    // 409: that run id exists, so this call is a retry of one that already started the run.
    let state = 'unknown';
    try {
      state = (await runState(dagName, dagRunId)).state;
    } catch {
      // The trigger itself is settled; a failed look-up only leaves the state unknown.
    }
    return { dag_run_id: dagRunId, state, already_triggered: true };
  }

  return async function handle(event: unknown): Promise<LambdaAnswer> {
    const parsed = parseLambdaInput(event);
    if (!parsed.ok) {
      log({ msg: 'invalid input', statusCode: 400, problems: parsed.problems });
      return { statusCode: 400, message: `invalid input: ${parsed.problems.join('; ')}`, problems: parsed.problems };
    }
    const input = parsed.value;
    if (!deps.allowedDags.has(input.dagName)) {
      log({ msg: 'DAG not allowed', action: input.action, dag: input.dagName, statusCode: 403 });
      return { statusCode: 403, message: `DAG "${input.dagName}" is not in this function's allowlist (ALLOWED_DAGS)` };
    }
    if (!dagIdFitsRestApi(input.dagName)) {
      const message = `DAG id "${input.dagName}" is too long for MWAA InvokeRestApi (its Path is limited to ${MAX_REST_API_PATH} characters)`;
      log({ msg: 'DAG id too long', dag: input.dagName, statusCode: 400 });
      return { statusCode: 400, message, problems: [`dag_name: ${message}`] };
    }

    let answer: LambdaAnswer;
    if (input.action === 'status') {
      try {
        answer = await runState(input.dagName, input.dagRunId);
      } catch (error) {
        answer = failure(error, `cannot read run "${input.dagRunId}" of DAG "${input.dagName}"`);
      }
    } else {
      answer = await trigger(input.dagName, input.dagRunId ?? newRunId(), input.conf);
    }
    // conf is not logged: it may carry user-supplied parameters.
    log({ msg: input.action, dag: input.dagName, ...answer });
    return answer;
  };
}
