import type { BotDeps } from '../bot-deps';
import { ErrorCode, MlopsError } from '../core/errors';
import type { EndpointInspector } from '../core/ports';

/** The SageMaker/CloudWatch inspector, or a plain-words error when the bot has none. */
export function requireInspector(deps: BotDeps): EndpointInspector {
  if (deps.inspector === undefined) {
    throw new MlopsError(ErrorCode.AwsFailed, 'The bot has no AWS access configured, so it cannot read SageMaker or CloudWatch.');
  }
  return deps.inspector;
}
