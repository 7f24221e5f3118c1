import type { Config } from '../config/config-schema';
import type { DagTrigger, EndpointInspector, ModelRegistry } from '../core/ports';
import { createAwsClients, type AwsClientsOptions } from './aws-clients';
import { createLambdaDagTrigger } from './lambda-dag-trigger';
import { createMwaaDagTrigger } from './mwaa-dag-trigger';
import { createSagemakerEndpointInspector } from './sagemaker-endpoint-inspector';
import { createSagemakerModelRegistry } from './sagemaker-model-registry';

/** Builds the AWS-backed ports from config; overrides (tests) win. Clients are created lazily once. */
export function createAwsPorts(
  config: Config,
  overrides: { trigger?: DagTrigger; inspector?: EndpointInspector; aws?: AwsClientsOptions } = {},
): { trigger?: DagTrigger; inspector?: EndpointInspector; modelRegistry?: ModelRegistry } {
  const env = config.env;
  const endpointOverridden = [
    env.AWS_ENDPOINT_URL,
    env.AWS_ENDPOINT_URL_LAMBDA,
    env.AWS_ENDPOINT_URL_SAGEMAKER,
    env.AWS_ENDPOINT_URL_CLOUDWATCH,
    env.AWS_ENDPOINT_URL_MWAA,
  ].some((v) => v !== undefined && v !== '');
  const followsRegistry = Object.values(config.file.models).some((m) => m.modelPackageGroup !== undefined);
  const needsClients = (overrides.trigger === undefined && config.file.trigger !== undefined) || overrides.inspector === undefined || followsRegistry;
  const clients = needsClients ? createAwsClients({ endpointOverridden, ...overrides.aws }) : undefined;
  let trigger = overrides.trigger;
  if (trigger === undefined && clients !== undefined && config.file.trigger !== undefined) {
    trigger =
      config.file.trigger.kind === 'lambda'
        ? createLambdaDagTrigger(clients.lambda, config.file.trigger.functionName)
        : createMwaaDagTrigger(clients.mwaa, config.file.trigger.environment);
  }
  const inspector = overrides.inspector ?? (clients !== undefined ? createSagemakerEndpointInspector(clients.sagemaker, clients.cloudwatch) : undefined);
  // Only when a model follows a Model Registry group (contract 10).
  const modelRegistry = followsRegistry && clients !== undefined ? createSagemakerModelRegistry(clients.sagemaker) : undefined;
  return {
    ...(trigger !== undefined ? { trigger } : {}),
    ...(inspector !== undefined ? { inspector } : {}),
    ...(modelRegistry !== undefined ? { modelRegistry } : {}),
  };
}
