import { createHash, createHmac, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pRetry from 'p-retry';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff-delay';
import { formatIssues, PIPELINE_EVENT_TYPES, pipelineEventSchema } from '../core/pipeline-event';

/**
 * `mlops-notify`: send one pipeline event (contract 5.3) to the bot's signed hook (5.1) from a
 * GitLab CI job or a shell script. Exit codes: 0 recorded or duplicate, 1 refused by the bot (4xx,
 * or a 3xx: redirects are never followed), 2 bad usage / invalid event / missing configuration,
 * 3 bot unreachable after all attempts.
 */

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; redirect: 'manual'; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface NotifyIo {
  out: (line: string) => void;
  err: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

const defaultIo: NotifyIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => new Date(),
};

const MAX_ATTEMPTS = 4;
/** About 1 s, 2 s, 4 s between the four attempts (with jitter). */
const BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };
const TIMEOUT_MS = 10_000;
/** The bot refuses signatures whose timestamp is further than this from its clock (contract 5.1). */
const MAX_CLOCK_SKEW_SECONDS = 300;

const USAGE = `Usage: mlops-notify --type <type> --model <name> [options]

Sends one signed pipeline event to the mlops-chatops bot (POST $MLOPS_HOOK_URL).

  --type T             ${PIPELINE_EVENT_TYPES.join(' | ')}
  --model NAME         model name as in mlops.config.yml
  --version X.Y.Z      semantic version (required except training.started / training.failed)
  --metric NAME=VALUE  repeatable, e.g. --metric f1=0.91 --metric mse=0.04 (evaluation.completed)
  --confusion-matrix J JSON {"labels":[…],"matrix":[[…]]}
  --run-id ID  --dag-id ID  --run-url URL       the Airflow run
  --training-job NAME  --endpoint NAME
  --error-task TASK  --error-message TEXT  --log-url URL   (required for *.failed: --error-message)
  --commit SHA  --image URI  --data URI         lineage shown in the evaluation message
  --link NAME=URL      repeatable, extra links (CI_PIPELINE_URL is added as "pipeline")
  --requested-by ID    Slack user id of whoever asked for the run
  --id ID              event id (default: derived from CI_PIPELINE_ID + CI_JOB_NAME, else random)
  --dry-run            print the event and exit without sending
  -h, --help

Environment: MLOPS_HOOK_URL (https://…/hooks/pipeline), PIPELINE_WEBHOOK_SECRET.
Exit: 0 recorded/duplicate, 1 refused (4xx, or a redirect: never followed), 2 invalid input or configuration
(NaN / Infinity metrics included), 3 unreachable.`;

const OPTIONS = {
  type: { type: 'string' },
  model: { type: 'string' },
  version: { type: 'string' },
  metric: { type: 'string', multiple: true },
  'confusion-matrix': { type: 'string' },
  'run-id': { type: 'string' },
  'dag-id': { type: 'string' },
  'run-url': { type: 'string' },
  'training-job': { type: 'string' },
  endpoint: { type: 'string' },
  'error-task': { type: 'string' },
  'error-message': { type: 'string' },
  'log-url': { type: 'string' },
  commit: { type: 'string' },
  image: { type: 'string' },
  data: { type: 'string' },
  link: { type: 'string', multiple: true },
  'requested-by': { type: 'string' },
  id: { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Same scheme as Slack's request signing and the bot's verifier (contract 5.1). */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * A re-run of the same CI job (GitLab "Retry" keeps CI_PIPELINE_ID and CI_JOB_NAME, not CI_JOB_ID)
 * yields the same id, so the bot shows the event once.
 */
function defaultId(env: Env, type: string, model: string, version: string | undefined): string {
  const scope = env.CI_PIPELINE_ID ? `${env.CI_PIPELINE_ID}/${env.CI_JOB_NAME ?? ''}` : env.CI_JOB_ID ? `job/${env.CI_JOB_ID}` : undefined;
  if (scope === undefined) return randomUUID();
  return `ci-${createHash('sha256')
    .update(`${scope}/${type}/${model}/${version ?? ''}`)
    .digest('hex')
    .slice(0, 40)}`;
}

function pairs(values: readonly string[] | undefined, flag: string, problems: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0) problems.push(`--${flag} ${value}: expected NAME=VALUE`);
    else result.push([value.slice(0, at).trim(), value.slice(at + 1).trim()]);
  }
  return result;
}

function isHttpUrl(value: string | undefined): value is string {
  return value !== undefined && /^https?:\/\/\S+$/.test(value);
}

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Builds the event object from the flags; every problem is collected, none thrown. */
function buildEvent(values: Values, env: Env, now: Date, problems: string[]): Record<string, unknown> {
  if (values.type === undefined) problems.push(`--type: required, one of ${PIPELINE_EVENT_TYPES.join(', ')}`);
  if (values.model === undefined) problems.push('--model: required');
  const type = values.type ?? '';
  const model = values.model ?? '';

  const metrics: Record<string, number> = {};
  for (const [name, raw] of pairs(values.metric, 'metric', problems)) {
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value)) problems.push(`--metric ${name}=${raw}: expected a number`);
    else metrics[name] = value;
  }
  const links: Record<string, string> = {};
  if (isHttpUrl(env.CI_PIPELINE_URL)) links.pipeline = env.CI_PIPELINE_URL;
  for (const [name, url] of pairs(values.link, 'link', problems)) links[name] = url;

  let confusionMatrix: unknown;
  if (values['confusion-matrix'] !== undefined) {
    try {
      confusionMatrix = JSON.parse(values['confusion-matrix']) as unknown;
    } catch {
      problems.push('--confusion-matrix: expected JSON such as {"labels":["a","b"],"matrix":[[1,0],[0,1]]}');
    }
  }

  const run = { dagId: values['dag-id'], runId: values['run-id'], url: values['run-url'] };
  const error = { task: values['error-task'], message: values['error-message'], logUrl: values['log-url'] };
  const lineage = { commit: values.commit, image: values.image, data: values.data };
  const defined = (o: Record<string, unknown>): Record<string, unknown> | undefined => {
    const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  // `error` without a message is still passed on, so the schema names the missing field.
  const errorFields = defined(error);

  return Object.fromEntries(
    Object.entries({
      id: values.id ?? defaultId(env, type, model, values.version),
      type,
      model,
      version: values.version,
      timestamp: now.toISOString(),
      run: defined(run),
      trainingJob: values['training-job'],
      metrics: Object.keys(metrics).length > 0 ? metrics : undefined,
      confusionMatrix,
      endpoint: values.endpoint,
      error: errorFields,
      links: Object.keys(links).length > 0 ? links : undefined,
      lineage: defined(lineage),
      requestedBy: values['requested-by'],
    }).filter(([, v]) => v !== undefined),
  );
}

function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * What to tell the user about an answer a retry cannot fix: a redirect (never followed: a POST
 * would become a GET elsewhere, carrying the signature), a 401 that is really clock skew (from the
 * answer's Date header), a setting the bot lacks (422 `missing`), or the bot's own words.
 */
function describeRefusal(status: number, text: string, headers: { get(name: string): string | null }, url: string, now: Date): string {
  if (status >= 300 && status < 400) {
    return `the bot's URL redirects (HTTP ${status} to ${headers.get('location') ?? '(no Location)'}); the event was not sent there, since a redirect would drop the POST body and forward the signature: set MLOPS_HOOK_URL to the final URL instead of ${url}`;
  }
  if (status === 401) {
    const serverMs = Date.parse(headers.get('date') ?? '');
    const skew = Number.isNaN(serverMs) ? undefined : Math.round((now.getTime() - serverMs) / 1000);
    if (skew !== undefined && Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS - 5) {
      return `the bot refused the signature: clock skew of ${skew} s (this machine is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the bot; the limit is ${MAX_CLOCK_SKEW_SECONDS} s): sync this machine's clock (NTP): ${text}`;
    }
    return `the bot refused the signature (HTTP 401): check PIPELINE_WEBHOOK_SECRET: ${text}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  const missing = typeof body === 'object' && body !== null ? (body as { missing?: unknown; message?: unknown }) : {};
  if (typeof missing.missing === 'string') {
    return `the bot refused the event (HTTP ${status}): the bot lacks the setting ${missing.missing}: ${typeof missing.message === 'string' ? missing.message : text}`;
  }
  return `the bot refused the event (HTTP ${status}): ${text}`;
}

/** Runs the CLI; resolves to the process exit code. */
export async function mlopsNotify(argv: readonly string[], env: Env, fetchImpl: FetchLike = fetch, io: Partial<NotifyIo> = {}): Promise<number> {
  const { out, err, sleep, now } = { ...defaultIo, ...io };

  let values: Values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    err(`mlops-notify: ${error instanceof Error ? error.message : String(error)}`);
    err('Run mlops-notify --help for the options.');
    return 2;
  }
  if (values.help === true) {
    out(USAGE);
    return 0;
  }

  const problems: string[] = [];
  const event = buildEvent(values, env, now(), problems);
  if (problems.length === 0) {
    const parsed = pipelineEventSchema.safeParse(event);
    if (!parsed.success) problems.push(...formatIssues(parsed.error.issues));
  }
  if (problems.length > 0) {
    for (const problem of problems) err(`mlops-notify: ${problem}`);
    return 2;
  }

  const body = JSON.stringify(event);
  if (values['dry-run'] === true) {
    out(body);
    return 0;
  }
  const url = env.MLOPS_HOOK_URL;
  const secret = env.PIPELINE_WEBHOOK_SECRET;
  const missing = [
    ...(isHttpUrl(url) ? [] : ['MLOPS_HOOK_URL: missing or not an http(s) URL; expected https://<bot>/hooks/pipeline']),
    ...(secret ? [] : ["PIPELINE_WEBHOOK_SECRET: missing; expected the bot's webhook signing secret"]),
  ];
  if (missing.length > 0 || url === undefined || secret === undefined) {
    for (const line of missing) err(`mlops-notify: ${line}`);
    return 2;
  }

  const id = String(event.id);
  /** One POST: an answer resolves to its exit code (a refusal is an answer: not retried); no answer, 429 or 5xx throws, to be retried. */
  const attempt = async (): Promise<number> => {
    // Signed per attempt: a retry after a backoff must not carry a stale timestamp.
    const timestamp = Math.floor(now().getTime() / 1000);
    let response;
    let text;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mlops-notify',
          'x-mlops-request-timestamp': String(timestamp),
          'x-mlops-signature': signBody(secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      // A plain Error: p-retry gives up at once on a TypeError, and fetch's "fetch failed" is one.
      throw new Error(error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error), {
        cause: error,
      });
    }
    if (response.status === 202) {
      out(`recorded ${id}`);
      return 0;
    }
    if (response.status === 200) {
      out(`duplicate ${id}`);
      return 0;
    }
    if (!retryable(response.status)) {
      err(`mlops-notify: ${describeRefusal(response.status, text, response.headers, url, now())}`);
      return 1;
    }
    throw new Error(`HTTP ${response.status}: ${text}`);
  };
  try {
    return await pRetry(attempt, {
      retries: MAX_ATTEMPTS - 1,
      // The backoff is waited here, through io.sleep (tests record it), not by p-retry's own timer.
      minTimeout: 0,
      maxTimeout: 0,
      onFailedAttempt: async (error) => {
        if (error.retriesLeft === 0) return;
        const delay = backoffDelayMs(error.attemptNumber, BACKOFF);
        err(`mlops-notify: attempt ${error.attemptNumber} failed (${error.message}); retrying in ${delay} ms`);
        await sleep(delay);
      },
    });
  } catch (error) {
    err(`mlops-notify: gave up after ${MAX_ATTEMPTS} attempts: ${error instanceof Error ? error.message : String(error)}`);
    return 3;
  }
}
