import { createHash, createHmac, type Hash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider, RetryErrorType, RetryStrategyV2, SourceData } from '@smithy/types';
import { StandardRetryStrategy } from '@smithy/util-retry';

/**
 * A minimal client for MWAA `InvokeRestApi` (Airflow >= 2.4.3).
 *
 * Why not `@aws-sdk/client-mwaa`: the registry serves it only up to 3.523.0, which has no
 * `InvokeRestApiCommand`. This speaks the same wire protocol (restJson1, `POST /restapi/{Name}`
 * with `{Path, Method, Body, QueryParameters}`, host prefix `env.`, SigV4 service `airflow`) with
 * the SDK's own signer, so it can be swapped for the SDK command later without changing callers.
 */

export type RestApiMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface InvokeRestApiInput {
  /** Airflow REST API path below `/api/v1`, e.g. `/dags/my_dag/dagRuns`. */
  path: string;
  method: RestApiMethod;
  body?: Record<string, unknown>;
  queryParameters?: Record<string, unknown>;
}

export interface InvokeRestApiOutput {
  restApiStatusCode: number;
  restApiResponse: unknown;
}

export interface MwaaRestClient {
  invokeRestApi(environmentName: string, input: InvokeRestApiInput): Promise<InvokeRestApiOutput>;
}

/**
 * A failed call. `errorType` is the modeled error name (`RestApiClientException` when Airflow
 * answered 4xx, `RestApiServerException` for Airflow 5xx, `AccessDeniedException`, …) or
 * `NetworkError` / `TimeoutError` when no answer arrived.
 */
export class MwaaRestError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly httpStatus: number | undefined,
    readonly restApiStatusCode?: number,
    readonly restApiResponse?: unknown,
    /** Node's error code when no answer arrived (ECONNREFUSED, ECONNRESET, …). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'MwaaRestError';
  }

  /** Worth another attempt: nothing answered, throttling, MWAA or Airflow server faults. */
  get retryable(): boolean {
    return this.retryErrorType !== 'CLIENT_ERROR';
  }

  /**
   * The SDK retry strategy's name for this failure: throttling backs off longer; every other
   * retryable failure counts as transient (a 5xx included: MWAA's own 5xx and Airflow's
   * RestApiServerException are worth a retry, as the trigger's run id makes a retried POST safe).
   */
  get retryErrorType(): RetryErrorType {
    if (this.errorType === 'ThrottlingException' || this.httpStatus === 429) return 'THROTTLING';
    if (this.errorType === 'NetworkError' || this.errorType === 'TimeoutError') return 'TRANSIENT';
    if (this.errorType === 'ServiceUnavailableException' || this.errorType === 'RestApiServerException') return 'TRANSIENT';
    return this.httpStatus !== undefined && this.httpStatus >= 500 ? 'TRANSIENT' : 'CLIENT_ERROR';
  }
}

/**
 * Per attempt. InvokeRestApi itself gives up after 10 s, so a little more than that; the
 * Lambda's own timeout (deploy/terraform: 45 s) holds three attempts and the backoff.
 */
export const MWAA_ATTEMPT_TIMEOUT_MS = 11_000;

export interface MwaaRestClientOptions {
  region: string;
  credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** Endpoint override (e.g. `AWS_ENDPOINT_URL_MWAA`); when set, no `env.` host prefix is added. */
  endpoint?: string;
  /** Per attempt, default MWAA_ATTEMPT_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * The SDK's retry strategy (attempts, backoff with jitter, retry quota), so these calls retry
   * as every AWS SDK call does. The bot passes its MWAAClient's own; default: the SDK's
   * standard strategy with 3 attempts, as an SDK client without configuration would use.
   */
  retryStrategy?: RetryStrategyV2;
}

/** The URL requests go to: the override as given, else `https://env.airflow.<region>.<dns suffix>`. */
export function resolveMwaaEndpoint(region: string, endpoint?: string): URL {
  if (endpoint !== undefined && endpoint !== '') return new URL(endpoint);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://env.airflow.${region}.${suffix}`);
}

/** SHA-256 / HMAC-SHA256 for the signer, from node:crypto (what @smithy/hash-node wraps). */
class Sha256 {
  private readonly hash: Hash | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<RawResponse> {
  // node:http rather than fetch: the signed `host` header must go out exactly as signed.
  const requestFn = url.protocol === 'http:' ? httpRequest : httpsRequest;
  // A whole-call deadline, not only an idle one: an answer trickling in must not hold the caller.
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const fail = (what: string) => (error: Error) => {
      if (signal.aborted) reject(new MwaaRestError('TimeoutError', `MWAA did not answer within ${timeoutMs} ms`, undefined));
      else reject(new MwaaRestError('NetworkError', `${what}: ${error.message}`, undefined, undefined, undefined, (error as NodeJS.ErrnoException).code));
    };
    const req = requestFn(url, { method: 'POST', headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail('MWAA response failed'));
    });
    req.on('error', fail('cannot reach MWAA'));
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function field(value: unknown, ...names: string[]): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const name of names) if (record[name] !== undefined) return record[name];
  return undefined;
}

/** restJson1 error: type from `x-amzn-errortype` (`Name:uri`), else `__type`/`code` (`ns#Name`). */
function toError(response: RawResponse): MwaaRestError {
  const body = parseJson(response.body);
  const header = response.headers['x-amzn-errortype'];
  const rawType = (Array.isArray(header) ? header[0] : header) ?? field(body, '__type', 'code');
  const errorType = typeof rawType === 'string' && rawType !== '' ? ((rawType.split(':')[0] ?? rawType).split('#').pop() ?? rawType) : `HTTP${response.status}`;
  const restApiStatusCode = field(body, 'RestApiStatusCode');
  const restApiResponse = field(body, 'RestApiResponse');
  const message = field(body, 'message', 'Message');
  const airflowDetail = field(restApiResponse, 'detail', 'title');
  const text = [
    `${errorType} (HTTP ${response.status})`,
    typeof restApiStatusCode === 'number' ? `Airflow answered ${restApiStatusCode}` : undefined,
    typeof airflowDetail === 'string' ? airflowDetail : undefined,
    typeof message === 'string' ? message : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(': ');
  return new MwaaRestError(errorType, text, response.status, typeof restApiStatusCode === 'number' ? restApiStatusCode : undefined, restApiResponse);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function mwaaRestClient(options: MwaaRestClientOptions): MwaaRestClient {
  const base = resolveMwaaEndpoint(options.region, options.endpoint);
  const timeoutMs = options.timeoutMs ?? MWAA_ATTEMPT_TIMEOUT_MS;
  const retryStrategy: RetryStrategyV2 = options.retryStrategy ?? new StandardRetryStrategy(3);
  const signer = new SignatureV4({ service: 'airflow', region: options.region, credentials: options.credentials, sha256: Sha256 });

  async function attempt(environmentName: string, input: InvokeRestApiInput): Promise<InvokeRestApiOutput> {
    const basePath = base.pathname.replace(/\/$/, '');
    const path = `${basePath}/restapi/${encodeURIComponent(environmentName)}`;
    const body = JSON.stringify({
      Path: input.path,
      Method: input.method,
      ...(input.queryParameters !== undefined && { QueryParameters: input.queryParameters }),
      ...(input.body !== undefined && { Body: input.body }),
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port !== '' && { port: Number(base.port) }),
      path,
      query: {},
      headers: { host: base.host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    const url = new URL(base.href);
    url.pathname = path;
    const response = await send(url, signed.headers, body, timeoutMs);
    if (response.status < 200 || response.status >= 300) throw toError(response);
    const parsed = parseJson(response.body);
    const statusCode = field(parsed, 'RestApiStatusCode');
    return { restApiStatusCode: typeof statusCode === 'number' ? statusCode : response.status, restApiResponse: field(parsed, 'RestApiResponse') };
  }

  return {
    // The SDK's retry loop (@smithy/middleware-retry) driven by hand: this client is not an SDK
    // client, so its attempts go through the strategy's token calls themselves.
    async invokeRestApi(environmentName, input) {
      let token = await retryStrategy.acquireInitialRetryToken(`mwaa:${environmentName}`);
      for (;;) {
        try {
          const output = await attempt(environmentName, input);
          retryStrategy.recordSuccess(token);
          return output;
        } catch (error) {
          // A retried POST is safe: the caller's dag_run_id makes a second trigger answer 409.
          if (!(error instanceof MwaaRestError) || !error.retryable) throw error;
          try {
            token = await retryStrategy.refreshRetryTokenForRetry(token, { errorType: error.retryErrorType });
          } catch {
            throw error; // out of attempts or retry quota: the last failure is the answer
          }
          await sleep(token.getRetryDelay());
        }
      }
    },
  };
}
