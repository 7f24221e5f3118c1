import type { BotDeps } from '../bot-deps';
import type { DeploymentService } from './deployment-service';
import { clickListener } from './click-listener';

/** Cancel on a `/mlops deploy|rollback` card: rejects the request without a reason. */
export function cancelDeployAction(deps: BotDeps, deployments: DeploymentService) {
  return clickListener(deps, 'cancel_deploy', async ({ click, log, reply }) => {
    const result = await deployments.reject({ candidateId: click.value, userId: click.userId, requireReason: false, log });
    switch (result.kind) {
      case 'rejected':
        await deployments.refresh(result.candidate.id, log);
        break;
      case 'not_found':
        await reply({ kind: 'not_found' });
        break;
      case 'not_authorized':
        await reply({ kind: 'not_authorized', action: 'cancel', model: result.model, who: result.who });
        break;
      case 'refused':
        await reply({ kind: 'refused', refusal: result.refusal, candidate: result.candidate });
        break;
    }
    return result.kind;
  });
}
