import type { BotDeps } from '../bot-deps';
import type { DeploymentService } from './deployment-service';
import { clickListener } from './click-listener';
import { deployResultReply } from './deploy-result-reply';

/** Deploy / Approve on a candidate message or a command card (after Slack's confirm dialog). */
export function deployAction(deps: BotDeps, deployments: DeploymentService) {
  return clickListener(deps, 'deploy', async ({ click, log, reply }) => {
    const result = await deployments.approve({
      candidateId: click.value,
      userId: click.userId,
      ...(click.message !== undefined ? { message: click.message } : {}),
      log,
    });
    const answer = deployResultReply(result, deployments.lockTimeoutMinutes);
    if (answer !== undefined) await reply(answer);
    return result.kind;
  });
}
