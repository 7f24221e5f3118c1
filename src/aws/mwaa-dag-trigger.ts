import { CreateCliTokenCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
// The endpoint resolver of client-mwaa 3.523 itself (its dependency, hoisted): it applies
// AWS_ENDPOINT_URL_MWAA / AWS_ENDPOINT_URL / profile endpoint_url exactly as the client would.
import { getEndpointFromInstructions } from '@smithy/middleware-endpoint';
import type { RetryStrategyV2 } from '@smithy/types';
import { ConfiguredRetryStrategy, StandardRetryStrategy } from '@smithy/util-retry';
// The one MWAA REST client, shared with the DAG-trigger Lambda (which stays its own package: these
// files import only node builtins and @smithy/signature-v4, a dependency of both packages).
import { dagIdFitsRestApi, dagRunsPath, MAX_REST_API_PATH, readDagRun } from '../../lambda/dag-trigger/src/airflow-dag-runs';
import { mwaaRestClient, MwaaRestError, type MwaaRestClient } from '../../lambda/dag-trigger/src/mwaa-rest-client';
import { ErrorCode, MlopsError } from '../core/errors';
import type { DagRunState, DagTrigger, DagTriggerRequest, DagTriggerResult } from '../core/ports';
import { awsErrorToMlopsError } from './aws-error-to-mlops-error';
import { airflowRunState, isObject, str } from './lambda-dag-trigger';

/*
 * Why not the SDK command: @aws-sdk/client-mwaa is served here only up to 3.523.0, which has no
 * InvokeRestApiCommand. The bot uses the DAG-trigger Lambda's client (lambda/dag-trigger/src/
 * mwaa-rest-client.ts: restJson1 `POST /restapi/{Name}`, SigV4 service "airflow") and its run
 * reader (airflow-dag-runs.ts), which keeps every call within InvokeRestApi's 64-character Path:
 * a run whose own path is longer is found in the DAG's run list instead. Region, credentials and
 * endpoint come from the bot's MWAAClient as the SDK resolves them (AWS_ENDPOINT_URL_MWAA,
 * profiles, the `env.` host prefix on AWS's own host names). Replace with InvokeRestApiCommand
 * once the package is newer: the DagTrigger port stays the same.
 */

const INVOKE_ACTION = 'airflow:InvokeRestApi';

export interface MwaaDagTriggerOptions {
  /** Deadline for one attempt without an answer, default the client's MWAA_ATTEMPT_TIMEOUT_MS (11 s), as in the Lambda. */
  attemptTimeoutMs?: number;
  /** A fixed delay between attempts (tests), in place of the SDK strategy's backoff; the attempts stay the client's. */
  retryDelayMs?: number;
}

function isRetryStrategyV2(strategy: object): strategy is RetryStrategyV2 {
  return 'acquireInitialRetryToken' in strategy && 'refreshRetryTokenForRetry' in strategy && 'recordSuccess' in strategy;
}

/**
 * The URL InvokeRestApi calls go to, as the SDK would resolve it for `client`: a configured
 * endpoint (client option, AWS_ENDPOINT_URL_MWAA, AWS_ENDPOINT_URL, profile) literally, else the
 * regional endpoint with the operation's `env.` host prefix (unless disableHostPrefix).
 */
export async function resolveMwaaRestEndpoint(client: MWAAClient, environment: string): Promise<URL> {
  const cfg = client.config;
  const hadCustomEndpoint = typeof cfg.endpoint === 'function';
  // The cast only adds the index signature the helper's generic bound asks for; the object is
  // the client's own resolved config, as the SDK's endpoint middleware passes it.
  const resolved = await getEndpointFromInstructions({ Name: environment }, CreateCliTokenCommand, cfg as typeof cfg & Record<string, unknown>);
  const overridden = hadCustomEndpoint || typeof cfg.endpoint === 'function';
  const url = new URL(resolved.url.href);
  if (!overridden && !cfg.disableHostPrefix) url.hostname = `env.${url.hostname}`;
  return url;
}

/** An error shaped like the SDK's service exceptions, so awsErrorToMlopsError reads it the same way. */
function sdkShaped(error: MwaaRestError): Error {
  const status = error.httpStatus;
  return Object.assign(new Error(error.message), {
    name: error.errorType,
    ...(error.code !== undefined ? { code: error.code } : {}),
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** "title: detail" from Airflow's problem JSON (RFC 7807), or what there is. */
function airflowProblem(response: unknown): string {
  if (isObject(response)) {
    const title = str(response.title);
    const detail = str(response.detail);
    if (title && detail) return `${title}: ${detail.replace(/\.$/, '')}`;
    if (title ?? detail) return (title ?? detail ?? '').replace(/\.$/, '');
    const message = str(response.message) ?? str(response.error);
    if (message) return message;
  }
  if (typeof response === 'string' && response.trim() !== '') return response.trim().slice(0, 300);
  return 'no details given';
}

/**
 * DagTrigger over MWAA InvokeRestApi (contract section 6, `kind: mwaa`):
 * `POST /dags/{dag_id}/dagRuns` with `{dag_run_id, conf}`; Airflow's 409 (run id exists) is an
 * idempotent success (state 'unknown': Airflow's 409 does not say it). `runState` reads the run
 * with the Lambda's reader; a run Airflow does not have is state 'not_found', any failure to read
 * it rejects (the watchdog counts and alerts those).
 */
export function createMwaaDagTrigger(client: MWAAClient, environment: string, options: MwaaDagTriggerOptions = {}): DagTrigger {
  const resource = `MWAA environment ${environment}`;
  let rest: Promise<MwaaRestClient> | undefined;

  /** Built on first use: region and endpoint are resolved asynchronously by the SDK's config. */
  function restClient(): Promise<MwaaRestClient> {
    rest ??= (async () => {
      const cfg = client.config;
      const [endpoint, region, sdkStrategy] = await Promise.all([resolveMwaaRestEndpoint(client, environment), cfg.region(), cfg.retryStrategy()]);
      // The MWAAClient's own retry strategy (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, maxAttempts and
      // its retry quota), so InvokeRestApi retries exactly as the client's SDK calls do.
      const retryStrategy =
        options.retryDelayMs !== undefined
          ? new ConfiguredRetryStrategy(cfg.maxAttempts, options.retryDelayMs)
          : isRetryStrategyV2(sdkStrategy)
            ? sdkStrategy
            : new StandardRetryStrategy(cfg.maxAttempts);
      return mwaaRestClient({
        region,
        credentials: cfg.credentials,
        endpoint: endpoint.href,
        retryStrategy,
        ...(options.attemptTimeoutMs !== undefined ? { timeoutMs: options.attemptTimeoutMs } : {}),
      });
    })().catch((error: unknown) => {
      rest = undefined;
      throw error;
    });
    return rest;
  }

  function tooLong(dagId: string, dagRunId: string): MlopsError {
    return new MlopsError(
      ErrorCode.TriggerFailed,
      `DAG id ${dagId} is too long for MWAA InvokeRestApi: its path ${dagRunsPath(dagId)} is over ${MAX_REST_API_PATH} characters. Use a shorter DAG id, or trigger through the DAG-trigger Lambda with the same limit.`,
      { environment, dagId, dagRunId },
    );
  }

  /** AWS-level failures (no answer, access denied, throttled…) as MlopsErrors; Airflow's own answers are left to the caller. */
  function awsFailure(error: unknown): MlopsError {
    return awsErrorToMlopsError(error instanceof MwaaRestError ? sdkShaped(error) : error, { action: INVOKE_ACTION, resource });
  }

  return {
    kind: 'mwaa',

    async trigger(request: DagTriggerRequest): Promise<DagTriggerResult> {
      if (!dagIdFitsRestApi(request.dagId)) throw tooLong(request.dagId, request.dagRunId);
      let statusCode: number;
      let response: unknown;
      try {
        const answer = await (
          await restClient()
        ).invokeRestApi(environment, {
          method: 'POST',
          path: dagRunsPath(request.dagId),
          body: { dag_run_id: request.dagRunId, conf: request.conf },
        });
        statusCode = answer.restApiStatusCode;
        response = answer.restApiResponse;
      } catch (error) {
        if (!(error instanceof MwaaRestError) || error.restApiStatusCode === undefined) throw awsFailure(error);
        statusCode = error.restApiStatusCode;
        response = error.restApiResponse;
      }
      if (statusCode === 409) {
        return { dagRunId: request.dagRunId, state: 'unknown', alreadyTriggered: true };
      }
      if (statusCode >= 400) {
        const hint =
          statusCode === 404
            ? ' Check that the DAG exists in the environment and is not paused or broken.'
            : statusCode === 401 || statusCode === 403
              ? " The bot's role is mapped to an Airflow role that may not trigger this DAG."
              : '';
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `Airflow in ${resource} refused to start DAG ${request.dagId} (HTTP ${statusCode}): ${airflowProblem(response)}.${hint}`,
          { environment, dagId: request.dagId, dagRunId: request.dagRunId, airflowStatus: statusCode, airflowResponse: response },
        );
      }
      const run = isObject(response) ? response : {};
      return { dagRunId: str(run.dag_run_id) ?? request.dagRunId, state: str(run.state) ?? 'queued', alreadyTriggered: false };
    },

    async runState(dagId: string, dagRunId: string): Promise<{ state: DagRunState; raw?: string }> {
      if (!dagIdFitsRestApi(dagId)) throw tooLong(dagId, dagRunId);
      let lookup;
      try {
        lookup = await readDagRun(await restClient(), environment, dagId, dagRunId);
      } catch (error) {
        if (error instanceof MwaaRestError && error.restApiStatusCode !== undefined) {
          throw new MlopsError(
            ErrorCode.TriggerFailed,
            `Airflow in ${resource} could not report run ${dagRunId} of DAG ${dagId} (HTTP ${error.restApiStatusCode}): ${airflowProblem(error.restApiResponse)}.`,
            { environment, dagId, dagRunId, airflowStatus: error.restApiStatusCode },
          );
        }
        if (error instanceof MwaaRestError && error.errorType === 'RunNotListed') {
          throw new MlopsError(ErrorCode.TriggerFailed, `Cannot read the state of run ${dagRunId} in ${resource}: ${error.message}.`, {
            environment,
            dagId,
            dagRunId,
          });
        }
        throw awsFailure(error);
      }
      if (!lookup.found) return { state: 'not_found', raw: 'not_found' };
      return airflowRunState(lookup.run.state);
    },
  };
}
