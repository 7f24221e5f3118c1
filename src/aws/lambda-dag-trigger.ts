import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ErrorCode, MlopsError } from '../core/errors';
import type { DagRunState, DagTrigger, DagTriggerRequest, DagTriggerResult } from '../core/ports';
import { awsErrorToMlopsError, recordFailedAttempts } from './aws-error-to-mlops-error';

/** The IAM action behind the Invoke API (not "lambda:Invoke"). */
const INVOKE_ACTION = 'lambda:InvokeFunction';

type JsonObject = Record<string, unknown>;

/** A JSON object (not an array or null): the two triggers read Airflow's and the function's answers with these. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Airflow DAG run states; anything else (or nothing) is 'unknown', with the raw value kept. */
export function airflowRunState(raw: unknown): { state: DagRunState; raw?: string } {
  const text = typeof raw === 'string' ? raw : undefined;
  switch (text) {
    case 'queued':
    case 'running':
    case 'success':
    case 'failed':
      return { state: text, raw: text };
    default:
      return text === undefined ? { state: 'unknown' } : { state: 'unknown', raw: text };
  }
}

interface Invocation {
  /** Parsed JSON payload (an API Gateway style `{statusCode, body: "<json>"}` is flattened). */
  payload: JsonObject;
  /** The payload as text, for messages when it is not a JSON object. */
  text: string;
  functionError?: string;
}

/**
 * DagTrigger over a Lambda function (contract section 6, `kind: lambda`): a synchronous
 * (RequestResponse) Invoke with `{"dag_name","dag_run_id","conf"}`; `runState` invokes the same
 * function with `{"action":"status","dag_name","dag_run_id"}` and expects `{"state": …}`.
 *
 * The function answers `{dag_run_id, state}`. A FunctionError or `statusCode >= 400` is a
 * TriggerFailed; `statusCode: 409` or `already_triggered: true` is an idempotent success.
 */
export function createLambdaDagTrigger(client: LambdaClient, functionName: string): DagTrigger {
  const resource = `Lambda function ${functionName}`;

  async function invoke(body: JsonObject): Promise<Invocation> {
    let output;
    const command = new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(body)),
    });
    // The SDK retries and reports only the last attempt: an earlier timed-out one may have run the function.
    const attempts = recordFailedAttempts(command);
    try {
      output = await client.send(command);
    } catch (error) {
      throw awsErrorToMlopsError(error, { action: INVOKE_ACTION, resource, failedAttempts: attempts });
    }
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    let payload: JsonObject = isObject(parsed) ? parsed : {};
    // Functions written for API Gateway answer {statusCode, body: "<json>"}: read the inner body.
    if (typeof payload.body === 'string') {
      try {
        const inner: unknown = JSON.parse(payload.body);
        if (isObject(inner)) payload = { ...inner, ...payload, body: inner };
      } catch {
        // Not JSON: keep the body as text; messages below fall back to it.
      }
    }
    return { payload, text, functionError: str(output.FunctionError) };
  }

  function failureMessage(inv: Invocation): string {
    const p = inv.payload;
    const inner = isObject(p.body) ? p.body : {};
    return (
      str(p.errorMessage) ??
      str(p.message) ??
      str(p.error) ??
      str(p.detail) ??
      str(inner.message) ??
      str(inner.error) ??
      (typeof p.body === 'string' ? p.body : undefined) ??
      (inv.text.trim() !== '' ? inv.text.trim().slice(0, 500) : 'no details given')
    );
  }

  return {
    kind: 'lambda',

    async trigger(request: DagTriggerRequest): Promise<DagTriggerResult> {
      const inv = await invoke({ dag_name: request.dagId, dag_run_id: request.dagRunId, conf: request.conf });
      const p = inv.payload;
      const details = { functionName, dagId: request.dagId, dagRunId: request.dagRunId };
      if (inv.functionError) {
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `The trigger function ${functionName} failed while starting DAG ${request.dagId}: ${failureMessage(inv)}`,
          { ...details, functionError: inv.functionError, errorType: str(p.errorType) },
        );
      }
      const statusCode = typeof p.statusCode === 'number' ? p.statusCode : undefined;
      const dagRunId = str(p.dag_run_id) ?? request.dagRunId;
      if (p.already_triggered === true || statusCode === 409) {
        return { dagRunId, state: str(p.state) ?? 'unknown', alreadyTriggered: true };
      }
      if (statusCode !== undefined && statusCode >= 400) {
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `The trigger function ${functionName} refused to start DAG ${request.dagId} (status ${statusCode}): ${failureMessage(inv)}`,
          { ...details, statusCode },
        );
      }
      return { dagRunId, state: str(p.state) ?? 'queued', alreadyTriggered: false };
    },

    async runState(dagId: string, dagRunId: string): Promise<{ state: DagRunState; raw?: string }> {
      const inv = await invoke({ action: 'status', dag_name: dagId, dag_run_id: dagRunId });
      const p = inv.payload;
      const details = { functionName, dagId, dagRunId };
      if (inv.functionError) {
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `The trigger function ${functionName} failed while reading the state of run ${dagRunId} of DAG ${dagId}: ${failureMessage(inv)}`,
          { ...details, functionError: inv.functionError },
        );
      }
      const statusCode = typeof p.statusCode === 'number' ? p.statusCode : undefined;
      // The function asked Airflow, which does not know the run: proven absent (not an error).
      if (statusCode === 404) return { state: 'not_found', raw: 'not_found' };
      if (statusCode !== undefined && statusCode >= 400) {
        throw new MlopsError(
          ErrorCode.TriggerFailed,
          `The trigger function ${functionName} could not read the state of run ${dagRunId} of DAG ${dagId} (status ${statusCode}): ${failureMessage(inv)}`,
          { ...details, statusCode },
        );
      }
      return airflowRunState(p.state);
    },
  };
}
