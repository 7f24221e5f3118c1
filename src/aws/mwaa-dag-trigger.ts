import { CreateCliTokenCommand, type MWAAClient } from '@aws-sdk/client-mwaa';
// The endpoint resolver of client-mwaa 3.523 itself (its dependency, hoisted): it applies
// AWS_ENDPOINT_URL_MWAA / AWS_ENDPOINT_URL / profile endpoint_url exactly as the client would.
import { getEndpointFromInstructions } from '@smithy/middleware-endpoint';
import { SignatureV4 } from '@smithy/signature-v4';
import { ErrorCode, MlopsError } from '../core/errors';
import type { DagRunState, DagTrigger, DagTriggerRequest, DagTriggerResult } from '../core/ports';
import { awsErrorToMlopsError } from './aws-error-to-mlops-error';
import { airflowRunState } from './lambda-dag-trigger';

/*
 * Why hand-signed: @aws-sdk/client-mwaa is served here only up to 3.523.0, which has no
 * InvokeRestApiCommand. This module performs the same restJson1 call the SDK command would
 * (checked against the MWAA model in aws-sdk-js-v3):
 *   POST /restapi/{Name} on host prefix "env.", body {Path, Method, QueryParameters?, Body?}
 *   200 -> {RestApiStatusCode, RestApiResponse}
 *   HTTP 400 with x-amzn-errortype RestApiClientException / RestApiServerException (both are
 *   modelled as HTTP 400) -> {RestApiStatusCode, RestApiResponse}: Airflow's own answer
 *   403 AccessDeniedException, 404 ResourceNotFoundException, 400 ValidationException,
 *   500 InternalServerException, 503 ServiceUnavailableException: AWS-level errors.
 * It signs with SigV4 (service "airflow") using the client's resolved credentials, region and
 * sha256, resolves the endpoint as the client does, and sends through the client's own request
 * handler (so its timeouts apply). Replace with InvokeRestApiCommand once the package is newer:
 * the DagTrigger port stays the same.
 */

const INVOKE_ACTION = 'airflow:InvokeRestApi';
const DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000; // MWAA gives Airflow 10 s; allow for the round trip
const DEFAULT_MAX_ATTEMPTS = 3;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export interface RestApiCall {
  Path: string;
  Method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  QueryParameters?: JsonObject;
  Body?: JsonObject;
}
/** Airflow's answer, whatever its HTTP status. */
export interface RestApiAnswer {
  statusCode: number;
  response: unknown;
}

export interface MwaaDagTriggerOptions {
  /** Deadline for one attempt (including reading the answer), default 15000 ms. */
  attemptTimeoutMs?: number;
}

/** An error shaped like the SDK's service exceptions, so awsErrorToMlopsError reads it the same way. */
function serviceError(name: string, message: string, status: number | undefined, requestId?: string): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId },
  });
}

function errorType(headers: Record<string, string>, body: JsonObject): string | undefined {
  const raw = headers['x-amzn-errortype'] ?? str(body.__type) ?? str(body.code);
  if (raw === undefined) return undefined;
  // Same clean-up as the SDK: "Type:http://…" or "namespace#Type" -> "Type".
  const noUrl = raw.split(':')[0] ?? raw;
  return noUrl.includes('#') ? (noUrl.split('#')[1] ?? noUrl) : noUrl;
}

function isRetryable(error: unknown): boolean {
  if (!isObject(error)) return false;
  const name = str(error.name) ?? '';
  const status = isObject(error.$metadata) ? error.$metadata.httpStatusCode : undefined;
  return (
    ['ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'InternalServerException', 'ServiceUnavailableException'].includes(name) ||
    status === 429 ||
    (typeof status === 'number' && status >= 500) ||
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(str(error.code) ?? '')
  );
}

function headerMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(raw)) {
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  }
  return out;
}

/**
 * Calls MWAA InvokeRestApi on `environment` with `client`'s configuration. Resolves with Airflow's
 * answer (any status, including 4xx/5xx from Airflow); rejects with SDK-shaped errors for
 * AWS-level failures (access denied, throttled, not found, timeouts), after retries.
 */
export async function invokeMwaaRestApi(
  client: MWAAClient,
  environment: string,
  call: RestApiCall,
  options: MwaaDagTriggerOptions = {},
): Promise<RestApiAnswer> {
  const cfg = client.config;
  // Endpoint as the SDK resolves it. A configured endpoint (client option, or one the SDK installs
  // from AWS_ENDPOINT_URL_MWAA / AWS_ENDPOINT_URL / profile) is used literally, without "env.".
  const hadCustomEndpoint = typeof cfg.endpoint === 'function';
  // The cast only adds the index signature the helper's generic bound asks for; the object is
  // the client's own resolved config, as the SDK's endpoint middleware passes it.
  const resolved = await getEndpointFromInstructions({ Name: environment }, CreateCliTokenCommand, cfg as typeof cfg & Record<string, unknown>);
  const overridden = hadCustomEndpoint || typeof cfg.endpoint === 'function';
  const url = resolved.url;
  const hostname = overridden || cfg.disableHostPrefix === true ? url.hostname : `env.${url.hostname}`;
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const body = JSON.stringify(call);

  const signer = new SignatureV4({
    credentials: cfg.credentials,
    region: cfg.region,
    service: cfg.defaultSigningName ?? 'airflow',
    sha256: cfg.sha256,
    uriEscapePath: true,
  });
  const maxAttempts = Math.max(1, (await cfg.maxAttempts().catch(() => DEFAULT_MAX_ATTEMPTS)) || DEFAULT_MAX_ATTEMPTS);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;

  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce();
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const throttled = isObject(error) && /Throttl|TooManyRequests/.test(str(error.name) ?? '');
      const base = throttled ? 500 : 100;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(20_000, base * 2 ** (attempt - 1))));
    }
  }

  async function attemptOnce(): Promise<RestApiAnswer> {
    const request = {
      method: 'POST',
      protocol: url.protocol,
      hostname,
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      path: `${basePath}/restapi/${encodeURIComponent(environment)}`,
      query: {},
      headers: {
        host: url.port !== '' ? `${hostname}:${url.port}` : hostname,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'mlops-chatops (hand-signed InvokeRestApi)',
      } as Record<string, string>,
      body,
    };
    const signed = await signer.sign(request, { signingDate: new Date(Date.now() + (cfg.systemClockOffset ?? 0)) });

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), attemptTimeoutMs);
    try {
      let status: number;
      let headers: Record<string, string>;
      let text: string;
      try {
        const { response } = await cfg.requestHandler.handle(signed, { abortSignal: abort.signal });
        status = response.statusCode;
        headers = headerMap(response.headers);
        text = new TextDecoder().decode(await cfg.streamCollector(response.body));
      } catch (error) {
        if (abort.signal.aborted) {
          throw Object.assign(new Error(`MWAA InvokeRestApi did not answer within ${attemptTimeoutMs} ms`), { name: 'TimeoutError' });
        }
        throw error;
      }
      let parsed: unknown;
      try {
        parsed = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const data: JsonObject = isObject(parsed) ? parsed : {};
      const requestId = headers['x-amzn-requestid'];
      if (status >= 200 && status < 300) {
        if (!isObject(parsed)) throw serviceError('InvalidResponse', `MWAA answered HTTP ${status} with a body that is not JSON`, status, requestId);
        return { statusCode: typeof data.RestApiStatusCode === 'number' ? data.RestApiStatusCode : status, response: data.RestApiResponse };
      }
      const type = errorType(headers, data);
      if ((type === 'RestApiClientException' || type === 'RestApiServerException') && typeof data.RestApiStatusCode === 'number') {
        return { statusCode: data.RestApiStatusCode, response: data.RestApiResponse };
      }
      const message = str(data.message) ?? str(data.Message) ?? (text.trim().slice(0, 300) || `HTTP ${status}`);
      throw serviceError(type ?? `Http${status}`, message, status, requestId);
    } finally {
      clearTimeout(timer);
    }
  }
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
 * idempotent success (state 'unknown': Airflow's 409 does not say it). `runState` reads
 * `GET /dags/{dag_id}/dagRuns/{dag_run_id}`; an unknown run is state 'unknown' (raw 'not_found').
 */
export function createMwaaDagTrigger(client: MWAAClient, environment: string, options: MwaaDagTriggerOptions = {}): DagTrigger {
  const resource = `MWAA environment ${environment}`;

  async function call(restCall: RestApiCall): Promise<RestApiAnswer> {
    try {
      return await invokeMwaaRestApi(client, environment, restCall, options);
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: INVOKE_ACTION, resource });
    }
  }

  return {
    kind: 'mwaa',

    async trigger(request: DagTriggerRequest): Promise<DagTriggerResult> {
      const answer = await call({
        Path: `/dags/${encodeURIComponent(request.dagId)}/dagRuns`,
        Method: 'POST',
        Body: { dag_run_id: request.dagRunId, conf: request.conf },
      });
      if (answer.statusCode === 409) {
        return { dagRunId: request.dagRunId, state: 'unknown', alreadyTriggered: true };
      }
      if (answer.statusCode >= 400) {
        const hint =
          answer.statusCode === 404
            ? ' Check that the DAG exists in the environment and is not paused or broken.'
            : answer.statusCode === 401 || answer.statusCode === 403
              ? " The bot's role is mapped to an Airflow role that may not trigger this DAG."
              : '';
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `Airflow in ${resource} refused to start DAG ${request.dagId} (HTTP ${answer.statusCode}): ${airflowProblem(answer.response)}.${hint}`,
          { environment, dagId: request.dagId, dagRunId: request.dagRunId, airflowStatus: answer.statusCode, airflowResponse: answer.response },
        );
      }
      const run = isObject(answer.response) ? answer.response : {};
      return { dagRunId: str(run.dag_run_id) ?? request.dagRunId, state: str(run.state) ?? 'queued', alreadyTriggered: false };
    },

    async runState(dagId: string, dagRunId: string): Promise<{ state: DagRunState; raw?: string }> {
      const answer = await call({
        Path: `/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(dagRunId)}`,
        Method: 'GET',
      });
      if (answer.statusCode === 404) return { state: 'unknown', raw: 'not_found' };
      if (answer.statusCode >= 400) {
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `Airflow in ${resource} could not report run ${dagRunId} of DAG ${dagId} (HTTP ${answer.statusCode}): ${airflowProblem(answer.response)}.`,
          { environment, dagId, dagRunId, airflowStatus: answer.statusCode },
        );
      }
      return airflowRunState(isObject(answer.response) ? answer.response.state : undefined);
    },
  };
}
