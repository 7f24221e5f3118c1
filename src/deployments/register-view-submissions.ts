import type { App } from '@slack/bolt';
import type { BotDeps } from '../bot-deps';
import { createDeploymentService } from './deployment-service';
import { CallbackId } from '../slack/slack-ids';
import { rejectModalSubmission } from './reject-modal-submission';

/** Modal submissions (view_submission). */
export function registerViewSubmissions(app: App, deps: BotDeps): void {
  app.view(CallbackId.RejectModal, rejectModalSubmission(deps, createDeploymentService(deps)));
}
