import type { DeploymentCandidate } from '../src/core/candidate-state-machine';
import { ErrorCode, MlopsError } from '../src/core/errors';
import type { CommandContext } from './command-spec';
import { childLogger } from '../src/observability/create-logger';

/**
 * The shared end of `/mlops deploy` and `/mlops rollback`: checks that the user is an approver of
 * the model and that deployments can start, then posts the request's confirmation card in the
 * channel. The card's Deploy / Cancel buttons are the evaluation message's own actions, so they go
 * through the same approvals, endpoint lock and trigger.
 */
export async function assertMayDeploy(ctx: CommandContext, model: string, verb: 'deploy' | 'roll back'): Promise<void> {
  const check = await ctx.deps.deployments.checkRequest(ctx.userId, model);
  if (check.kind === 'not_authorized') throw new MlopsError(ErrorCode.NotAuthorized, `only ${check.who} may ${verb} ${model}`, { model });
  if (check.kind === 'not_configured') throw new MlopsError(ErrorCode.TriggerFailed, check.problem, { model });
}

export async function postDeployRequest(ctx: CommandContext, candidate: DeploymentCandidate): Promise<void> {
  const log = childLogger(ctx.log, { model: candidate.model, version: candidate.version, candidate: candidate.id });
  try {
    await ctx.deps.deployments.request(candidate, ctx.channelId, log);
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
