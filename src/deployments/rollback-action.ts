import type { BotDeps } from '../bot-deps';
import type { DeploymentService } from './deployment-service';
import { clickListener } from './click-listener';
import { deployResultReply } from './deploy-result-reply';

/** Rollback on a failed deployment's message: a rollback request approved by this click, same path as Deploy. */
export function rollbackAction(deps: BotDeps, deployments: DeploymentService) {
  return clickListener(deps, 'rollback', async ({ click, log, reply }) => {
    const result = await deployments.rollbackFromFailed({
      candidateId: click.value,
      userId: click.userId,
      ...(click.message !== undefined ? { message: click.message } : {}),
      log,
    });
    const answer = deployResultReply(result, deployments.lockTimeoutMinutes, 'roll back');
    if (answer !== undefined) await reply(answer);
    return result.kind;
  });
}
