import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';

/**
 * A loopback MWAA for the DAG-trigger tests: `POST /restapi/{Name}` (restJson1) in front of a tiny
 * Airflow that knows DAGs and their runs. It verifies every SigV4 signature (service `airflow`)
 * and answers errors the way MWAA does: HTTP 400 `RestApiClientException` / `RestApiServerException`
 * carrying Airflow's status and problem JSON, 403 `AccessDeniedException`, 404
 * `ResourceNotFoundException`, 500 `InternalServerException`.
 */

export interface FakeMwaaOptions {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment name -> DAG ids that exist in its Airflow. */
  environments: Record<string, string[]>;
}

export interface RecordedCall {
  environment: string;
  Path: string;
  Method: string;
  Body?: Record<string, unknown>;
  QueryParameters?: Record<string, unknown>;
  host: string;
}

export interface DagRun {
  dag_id: string;
  dag_run_id: string;
  state: string;
  conf: Record<string, unknown>;
  logical_date: string;
  start_date: string | null;
  end_date: string | null;
}

/** Faults injected into the next calls. */
export type Fault =
  | { kind: 'mwaa'; status: 500 | 503; type: 'InternalServerException' | 'ServiceUnavailableException' }
  | { kind: 'airflow'; status: number }
  | { kind: 'access-denied' }
  | { kind: 'drop' };

export interface FakeMwaa {
  url: string;
  calls: RecordedCall[];
  runs: Map<string, DagRun>;
  setRunState(dagId: string, dagRunId: string, state: string): void;
  failNext(fault: Fault, times?: number): void;
  close(): Promise<void>;
}

class Sha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as string | Uint8Array));
  }
  update(data: SourceData): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as Uint8Array));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `req-${Math.random().toString(16).slice(2)}` };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(body));
}

/** Airflow's problem JSON (connexion), as forwarded in `RestApiResponse`. */
function problem(status: number, title: string, detail: string): Record<string, unknown> {
  return {
    detail,
    status,
    title,
    type: `https://airflow.apache.org/docs/apache-airflow/2.8.1/stable-rest-api-ref.html#section/Errors/${title.replace(/ /g, '')}`,
  };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export async function fakeMwaa(options: FakeMwaaOptions): Promise<FakeMwaa> {
  const calls: RecordedCall[] = [];
  const runs = new Map<string, DagRun>();
  const faults: Fault[] = [];
  const signer = new SignatureV4({
    service: 'airflow',
    region: options.region,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    sha256: Sha256,
  });

  /** Recomputes the signature over the headers the client says it signed. */
  async function signatureProblem(req: IncomingMessage, body: string): Promise<{ type: string; message: string } | undefined> {
    const authorization = req.headers.authorization ?? '';
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
    if (match === null) return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
    const [, accessKeyId, , region, service, signedHeaders] = match;
    if (accessKeyId !== options.accessKeyId) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    if (service !== 'airflow' || region !== options.region) {
      return { type: 'InvalidSignatureException', message: `Credential should be scoped to correct service/region ('airflow', '${options.region}')` };
    }
    const date = AMZ_DATE.exec(String(req.headers['x-amz-date'] ?? ''));
    if (date === null) return { type: 'IncompleteSignatureException', message: 'X-Amz-Date is missing or malformed' };
    const signingDate = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
    const headers: Record<string, string> = {};
    for (const name of (signedHeaders ?? '').split(';')) {
      const value = req.headers[name];
      if (value !== undefined && name !== 'x-amz-date') headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const [hostname, port] = (req.headers.host ?? '').split(':');
    const expected = await signer.sign(
      {
        method: req.method ?? 'POST',
        protocol: 'http:',
        hostname: hostname ?? '',
        ...(port !== undefined && { port: Number(port) }),
        path: req.url ?? '/',
        query: {},
        headers,
        body,
      },
      { signingDate },
    );
    if (expected.headers.authorization !== authorization) {
      return {
        type: 'InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      };
    }
    return undefined;
  }

  function airflow(dags: readonly string[], call: RecordedCall): { status: number; body: unknown } {
    const trigger = /^\/dags\/([^/]+)\/dagRuns$/.exec(call.Path);
    const read = /^\/dags\/([^/]+)\/dagRuns\/([^/]+)$/.exec(call.Path);
    if (trigger !== null && call.Method === 'POST') {
      const dagId = decodeURIComponent(trigger[1]!);
      if (!dags.includes(dagId)) return { status: 404, body: problem(404, 'DAG not found', `DAG with dag_id: '${dagId}' not found`) };
      const runId = typeof call.Body?.dag_run_id === 'string' ? call.Body.dag_run_id : `manual__${new Date().toISOString()}`;
      const key = `${dagId}/${runId}`;
      if (runs.has(key)) {
        return { status: 409, body: problem(409, 'Conflict', `DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`) };
      }
      const conf = call.Body?.conf;
      const run: DagRun = {
        dag_id: dagId,
        dag_run_id: runId,
        state: 'queued',
        conf: typeof conf === 'object' && conf !== null ? (conf as Record<string, unknown>) : {},
        logical_date: new Date().toISOString(),
        start_date: null,
        end_date: null,
      };
      runs.set(key, run);
      return { status: 200, body: run };
    }
    if (trigger !== null && call.Method === 'GET') {
      // GET /dags/{dag_id}/dagRuns?limit=&order_by=-execution_date: newest first.
      const dagId = decodeURIComponent(trigger[1]!);
      if (!dags.includes(dagId)) return { status: 404, body: problem(404, 'DAG not found', `DAG with dag_id: '${dagId}' not found`) };
      const limit = Number(call.QueryParameters?.limit ?? 25);
      const offset = Number(call.QueryParameters?.offset ?? 0);
      const all = [...runs.values()].filter((run) => run.dag_id === dagId).reverse();
      return { status: 200, body: { dag_runs: all.slice(offset, offset + limit), total_entries: all.length } };
    }
    if (read !== null && call.Method === 'GET') {
      const dagId = decodeURIComponent(read[1]!);
      const runId = decodeURIComponent(read[2]!);
      const run = runs.get(`${dagId}/${runId}`);
      if (run === undefined) {
        return { status: 404, body: problem(404, 'DAGRun not found', `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`) };
      }
      return { status: 200, body: run };
    }
    return { status: 404, body: problem(404, 'Not Found', `${call.Method} ${call.Path} is not handled by the fake`) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const route = /^\/restapi\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || route === null) {
      answer(res, 404, { message: `no route for ${req.method} ${req.url}` }, 'UnknownOperationException');
      return;
    }
    const signature = await signatureProblem(req, body);
    if (signature !== undefined) {
      answer(res, 403, { message: signature.message }, signature.type);
      return;
    }
    const fault = faults.shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'access-denied') {
      answer(
        res,
        403,
        { Message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: airflow:InvokeRestApi' },
        'AccessDeniedException',
      );
      return;
    }
    if (fault?.kind === 'mwaa') {
      answer(res, fault.status, { message: 'An internal error occurred.' }, fault.type);
      return;
    }

    const environment = decodeURIComponent(route[1]!);
    const dags = options.environments[environment];
    if (dags === undefined) {
      answer(res, 404, { message: `Environment ${environment} was not found.` }, 'ResourceNotFoundException');
      return;
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      answer(res, 400, { message: 'Could not parse request body into json' }, 'SerializationException');
      return;
    }
    if (typeof input.Path !== 'string' || typeof input.Method !== 'string') {
      answer(res, 400, { message: '1 validation error detected: Path and Method are required' }, 'ValidationException');
      return;
    }
    if (input.Path.length > 64) {
      // The API reference limits Path to 1..64 characters.
      answer(
        res,
        400,
        { message: "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 64" },
        'ValidationException',
      );
      return;
    }
    const call: RecordedCall = {
      environment,
      Path: input.Path,
      Method: input.Method,
      host: req.headers.host ?? '',
      ...(typeof input.Body === 'object' && input.Body !== null && { Body: input.Body as Record<string, unknown> }),
      ...(typeof input.QueryParameters === 'object' && input.QueryParameters !== null && { QueryParameters: input.QueryParameters as Record<string, unknown> }),
    };
    calls.push(call);

    const result =
      fault?.kind === 'airflow'
        ? { status: fault.status, body: problem(fault.status, 'Internal Server Error', 'injected Airflow failure') }
        : airflow(dags, call);
    if (result.status >= 500) answer(res, 400, { RestApiStatusCode: result.status, RestApiResponse: result.body }, 'RestApiServerException');
    else if (result.status >= 400) answer(res, 400, { RestApiStatusCode: result.status, RestApiResponse: result.body }, 'RestApiClientException');
    else answer(res, 200, { RestApiStatusCode: result.status, RestApiResponse: result.body });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, 500, { message: String(error) }, 'InternalServerException'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    runs,
    setRunState(dagId, dagRunId, state) {
      const run = runs.get(`${dagId}/${dagRunId}`);
      if (run === undefined) throw new Error(`no run ${dagId}/${dagRunId}`);
      run.state = state;
      if (state !== 'queued' && run.start_date === null) run.start_date = new Date().toISOString();
      if (state === 'success' || state === 'failed') run.end_date = new Date().toISOString();
    },
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i += 1) faults.push(fault);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
