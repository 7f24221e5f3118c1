import type { App } from '@slack/bolt';
import type { BotDeps } from '../bot-deps';
import { createDeploymentService } from './deployment-service';
import { ActionId } from '../slack/slack-ids';
import { cancelDeployAction } from './cancel-deploy-action';
import { deployAction } from './deploy-action';
import { rejectAction } from './reject-action';
import { registerTrainActions } from '../training/register-train-actions';
import { rollbackAction } from './rollback-action';

/** Button clicks (block_actions). */
export function registerActions(app: App, deps: BotDeps): void {
  const deployments = createDeploymentService(deps);
  app.action(ActionId.Deploy, deployAction(deps, deployments));
  app.action(ActionId.Reject, rejectAction(deps, deployments));
  app.action(ActionId.Rollback, rollbackAction(deps, deployments));
  app.action(ActionId.CancelDeploy, cancelDeployAction(deps, deployments));
  registerTrainActions(app, deps);
}
