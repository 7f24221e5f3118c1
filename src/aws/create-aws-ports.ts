import type { Config } from '../config/config-schema';
import type { DagTrigger, EndpointInspector } from '../core/ports';
import { createAwsClients, type AwsClientsOptions } from './aws-clients';
import { createLambdaDagTrigger } from './lambda-dag-trigger';
import { createMwaaDagTrigger } from './mwaa-dag-trigger';
import { createSagemakerEndpointInspector } from './sagemaker-endpoint-inspector';

/** Builds the AWS-backed ports from config; overrides (tests) win. Clients are created lazily once. */
export function createAwsPorts(
  config: Config,
  overrides: { trigger?: DagTrigger; inspector?: EndpointInspector; aws?: AwsClientsOptions } = {},
): { trigger?: DagTrigger; inspector?: EndpointInspector } {
  const env = config.env;
  const endpointOverridden = [
    env.AWS_ENDPOINT_URL,
    env.AWS_ENDPOINT_URL_LAMBDA,
    env.AWS_ENDPOINT_URL_SAGEMAKER,
    env.AWS_ENDPOINT_URL_CLOUDWATCH,
    env.AWS_ENDPOINT_URL_MWAA,
  ].some((v) => v !== undefined && v !== '');
  const needsClients = (overrides.trigger === undefined && config.file.trigger !== undefined) || overrides.inspector === undefined;
  const clients = needsClients ? createAwsClients({ endpointOverridden, ...overrides.aws }) : undefined;
  let trigger = overrides.trigger;
  if (trigger === undefined && clients !== undefined && config.file.trigger !== undefined) {
    trigger =
      config.file.trigger.kind === 'lambda'
        ? createLambdaDagTrigger(clients.lambda, config.file.trigger.functionName)
        : createMwaaDagTrigger(clients.mwaa, config.file.trigger.environment);
  }
  const inspector = overrides.inspector ?? (clients !== undefined ? createSagemakerEndpointInspector(clients.sagemaker, clients.cloudwatch) : undefined);
  return { ...(trigger !== undefined ? { trigger } : {}), ...(inspector !== undefined ? { inspector } : {}) };
}
