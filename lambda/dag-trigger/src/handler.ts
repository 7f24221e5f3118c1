import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { createHandler, type LambdaAnswer } from './create-handler';
import { lambdaConfig } from './lambda-config';
import { mwaaRestClient } from './mwaa-rest-client';

/**
 * The Lambda entry point (`handler.handler`). Configuration is read once per cold start; a bad
 * environment is logged once and every call then answers 500 with the problems, so the bot and
 * CI show what to fix instead of an opaque init failure.
 */
function build(): (event: unknown) => Promise<LambdaAnswer> {
  const config = lambdaConfig(process.env);
  if (!config.ok) {
    console.error(JSON.stringify({ msg: 'misconfigured', problems: config.problems }));
    const answer = { statusCode: 500, message: `the DAG-trigger function is misconfigured: ${config.problems.join('; ')}` };
    return () => Promise.resolve(answer);
  }
  const { environment, allowedDags, region, endpoint } = config.value;
  const client = mwaaRestClient({ region, credentials: defaultProvider(), ...(endpoint !== undefined && { endpoint }) });
  return createHandler({ client, environment, allowedDags });
}

export const handler = build();
