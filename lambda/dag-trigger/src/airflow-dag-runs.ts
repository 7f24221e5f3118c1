import { MwaaRestError, type MwaaRestClient } from './mwaa-rest-client';

/**
 * Airflow DAG-run calls over MWAA InvokeRestApi, shared by this Lambda and the bot's
 * `trigger.kind: mwaa` adapter (src/aws/mwaa-dag-trigger.ts imports this file), so both read runs
 * the same way within InvokeRestApi's limits.
 */

/** InvokeRestApi refuses a `Path` longer than 64 characters (API reference, ValidationException). */
export const MAX_REST_API_PATH = 64;
/** Runs per page when a run's own path is too long and the DAG's recent runs are listed instead. */
export const RECENT_RUNS_PAGE = 100;
/** Pages looked at (newest first) before the search gives up without a conclusion. */
export const MAX_RECENT_PAGES = 5;

/** `/dags/{dag_id}/dagRuns[/{dag_run_id}]`, ids URL-encoded. */
export function dagRunsPath(dagId: string, dagRunId?: string): string {
  const base = `/dags/${encodeURIComponent(dagId)}/dagRuns`;
  return dagRunId === undefined ? base : `${base}/${encodeURIComponent(dagRunId)}`;
}

/** False when even the DAG's run list path is over the limit: no InvokeRestApi call can reach the DAG. */
export function dagIdFitsRestApi(dagId: string): boolean {
  return dagRunsPath(dagId).length <= MAX_REST_API_PATH;
}

export type DagRunLookup =
  /** Airflow's DAG-run JSON. */
  | { found: true; run: Record<string, unknown> }
  /** Airflow answered that it has no such run (404, or a complete run list without it). */
  | { found: false; detail: string };

/** A string field of Airflow's JSON, else undefined. */
export function stringField(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'string' ? field : undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Reads one DAG run: `GET /dags/{dag_id}/dagRuns/{dag_run_id}` when that path fits in 64
 * characters, else the DAG's runs newest first, page by page. "No such run" is an answer, not an
 * error: Airflow's 404, or a list that ended without the run. Every other failure throws
 * (MwaaRestError), including a search that ran out of pages before the list ended (inconclusive).
 */
export async function readDagRun(client: MwaaRestClient, environment: string, dagId: string, dagRunId: string): Promise<DagRunLookup> {
  if (!dagIdFitsRestApi(dagId)) {
    throw new MwaaRestError(
      'PathTooLong',
      `DAG id "${dagId}" is too long for MWAA InvokeRestApi (its Path is limited to ${MAX_REST_API_PATH} characters)`,
      undefined,
    );
  }
  const path = dagRunsPath(dagId, dagRunId);
  if (path.length <= MAX_REST_API_PATH) {
    try {
      return { found: true, run: asRecord((await client.invokeRestApi(environment, { method: 'GET', path })).restApiResponse) };
    } catch (error) {
      if (error instanceof MwaaRestError && error.restApiStatusCode === 404) {
        return {
          found: false,
          detail: `Airflow answered 404: ${stringField(error.restApiResponse, 'detail') ?? stringField(error.restApiResponse, 'title') ?? 'not found'}`,
        };
      }
      throw error;
    }
  }
  for (let page = 0; page < MAX_RECENT_PAGES; page++) {
    let answer;
    try {
      answer = await client.invokeRestApi(environment, {
        method: 'GET',
        path: dagRunsPath(dagId),
        queryParameters: { limit: RECENT_RUNS_PAGE, offset: page * RECENT_RUNS_PAGE, order_by: '-execution_date' },
      });
    } catch (error) {
      if (error instanceof MwaaRestError && error.restApiStatusCode === 404) return { found: false, detail: `Airflow does not know DAG "${dagId}"` };
      throw error;
    }
    const body = asRecord(answer.restApiResponse);
    const runs: unknown[] = Array.isArray(body.dag_runs) ? (body.dag_runs as unknown[]) : [];
    const run = runs.find((r) => stringField(r, 'dag_run_id') === dagRunId);
    if (run !== undefined) return { found: true, run: asRecord(run) };
    const total = typeof body.total_entries === 'number' ? body.total_entries : undefined;
    const seen = page * RECENT_RUNS_PAGE + runs.length;
    if (runs.length < RECENT_RUNS_PAGE || (total !== undefined && seen >= total)) {
      return { found: false, detail: `no run "${dagRunId}" among the ${seen} runs of DAG "${dagId}"` };
    }
  }
  throw new MwaaRestError(
    'RunNotListed',
    `run "${dagRunId}" is not among the ${MAX_RECENT_PAGES * RECENT_RUNS_PAGE} most recent runs of DAG "${dagId}" (its own path is over ${MAX_REST_API_PATH} characters, so it cannot be read directly)`,
    undefined,
  );
}
