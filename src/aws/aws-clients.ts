import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { MWAAClient } from '@aws-sdk/client-mwaa';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
// A dependency of every current AWS client (hoisted in node_modules): the same handler class
// the clients would build themselves, only with our timeouts.
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsClientsOptions {
  /** Region; unset lets the SDK resolve it (AWS_REGION, profile, ...). */
  region?: string;
  /**
   * Hard limit for one HTTP attempt, default 8000 ms. The SDK's retry strategy applies on top
   * (a timed-out attempt is retried), so one call can take up to maxAttempts x this plus backoff.
   */
  requestTimeoutMs?: number;
  /** Attempts per call including the first; unset keeps the SDK's (3, or AWS_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /**
   * True when the SDK's endpoint is overridden (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>,
   * e.g. a loopback fake): host prefixes such as MWAA's `env.` are then disabled, because they
   * only make sense on AWS's own host names. This module never reads process.env itself (the
   * SDK does): the caller computes the flag from its configuration, e.g. with
   * `isEndpointOverridden(process.env)`.
   */
  endpointOverridden?: boolean;
  /**
   * Explicit endpoint for all four clients (tests, embedding). Normally unset so that the SDK's
   * standard configuration applies. Setting it implies `endpointOverridden`.
   */
  endpoint?: string;
  /** Explicit static credentials (tests). Normally unset: the SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsClients {
  lambda: LambdaClient;
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  mwaa: MWAAClient;
  /** Closes the clients' sockets (graceful shutdown, tests). */
  destroy(): void;
}

export const DEFAULT_AWS_REQUEST_TIMEOUT_MS = 8000;

/** The environment variables through which the SDK overrides the endpoints of the clients used here. */
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_LAMBDA',
  'AWS_ENDPOINT_URL_SAGEMAKER',
  'AWS_ENDPOINT_URL_CLOUDWATCH',
  'AWS_ENDPOINT_URL_MWAA',
] as const;

/**
 * Whether the given environment overrides an endpoint of one of these clients (for
 * `endpointOverridden`). Takes the environment as an argument so that the caller decides
 * where configuration comes from. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true disables them, as
 * in the SDK.
 */
export function isEndpointOverridden(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return false;
  return ENDPOINT_VARIABLES.some((name) => (env[name] ?? '').trim() !== '');
}

/**
 * Real SDK v3 clients for the bot. Region, credentials and endpoints come from the SDK's own
 * standard configuration unless given here; only timeouts, attempts and host prefixes are set.
 */
export function createAwsClients(opts: AwsClientsOptions = {}): AwsClients {
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_AWS_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(requestTimeout) || requestTimeout <= 0) {
    throw new RangeError(`requestTimeoutMs must be a positive number of milliseconds, got ${String(opts.requestTimeoutMs)}`);
  }
  const connectionTimeout = Math.min(requestTimeout, 3000);
  const overridden = opts.endpointOverridden === true || opts.endpoint !== undefined;

  // Only keys that are set: an `undefined` region or endpoint would still count as "given".
  const common = {
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
    ...(overridden ? { disableHostPrefix: true } : {}),
  };
  // One handler per client: destroying a client destroys its handler.
  // In handler v4 `requestTimeout` alone only logs a warning; `throwOnRequestTimeout` makes it
  // fail the attempt (TimeoutError, retried by the SDK). `socketTimeout` bounds a stalled body.
  const handler = () => new NodeHttpHandler({ requestTimeout, throwOnRequestTimeout: true, socketTimeout: requestTimeout, connectionTimeout });

  const lambda = new LambdaClient({ ...common, requestHandler: handler() });
  const sagemaker = new SageMakerClient({ ...common, requestHandler: handler() });
  const cloudwatch = new CloudWatchClient({ ...common, requestHandler: handler() });
  // client-mwaa 3.523 bundles handler v2, which leaves a timer running after every failed request
  // and has no hard request timeout; the current handler serves its plain HTTP requests as well.
  const mwaa = new MWAAClient({ ...common, requestHandler: handler() });

  return {
    lambda,
    sagemaker,
    cloudwatch,
    mwaa,
    destroy() {
      lambda.destroy();
      sagemaker.destroy();
      cloudwatch.destroy();
      mwaa.destroy();
    },
  };
}
