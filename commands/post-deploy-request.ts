import type { DeploymentCandidate } from '../src/core/candidate-state-machine';
import { ErrorCode, MlopsError } from '../src/core/errors';
import type { DeploymentService } from '../src/deployments/deployment-service';
import type { CommandContext } from './command-spec';
import { childLogger } from '../src/observability/create-logger';

/**
 * The shared end of `/mlops deploy` and `/mlops rollback`: checks that the user is an approver of
 * the model and that deployments can start, then posts the request's confirmation card in the
 * channel. The card's Deploy / Cancel buttons are the evaluation message's own actions, so they go
 * through the same approvals, endpoint lock and trigger.
 */
export async function assertMayDeploy(ctx: CommandContext, deployments: DeploymentService, model: string, verb: 'deploy' | 'roll back'): Promise<void> {
  const auth = await deployments.authorize(ctx.userId, model);
  if (!auth.ok) throw new MlopsError(ErrorCode.NotAuthorized, `only ${auth.who} may ${verb} ${model}`, { model });
  const problem = deployments.prerequisiteProblem({ model });
  if (problem !== undefined) throw new MlopsError(ErrorCode.TriggerFailed, problem, { model });
}

export async function postDeployRequest(ctx: CommandContext, deployments: DeploymentService, candidate: DeploymentCandidate): Promise<void> {
  const log = childLogger(ctx.log, { model: candidate.model, version: candidate.version, candidate: candidate.id });
  try {
    await deployments.createCommandRequest(candidate, ctx.channelId, log);
  } catch (error) {
    const slackError = (error as { data?: { error?: string } }).data?.error;
    log.warn({ err: error, slackError }, 'could not post the deploy request card');
    throw new MlopsError(
      ErrorCode.SlackFailed,
      slackError === 'not_in_channel' || slackError === 'channel_not_found'
        ? 'I cannot post in this channel: invite me to it (or use the model’s channel) and try again. Nothing was requested'
        : `the request card could not be posted${slackError !== undefined ? ` (${slackError})` : ''}; nothing was requested`,
      { slackError },
    );
  }
  log.info({ origin: candidate.origin }, 'deploy request posted');
}
