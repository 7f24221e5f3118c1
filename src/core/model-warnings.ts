import type { FileConfig } from '../config/config-schema';
import { approversFor, isEmpty } from './authorization';

/**
 * A config that is valid but leaves a model half-working: nobody may deploy it, its events have
 * no channel, or DAGs cannot be started because the AWS SDK has no region. The bot still starts
 * (a notify-only model needs no approver; a region may come from ~/.aws/config), so each is a
 * loud startup warning, one line per problem, naming the model and the setting that fixes it.
 * Here, not in config/: it reads the config the way the authorization rules do, and config/ sits
 * below the core (the core imports its schema).
 */
export function modelWarnings(file: FileConfig, env: { AWS_REGION?: string | undefined }): string[] {
  const warnings: string[] = [];
  const needsTrigger: string[] = [];
  for (const [name, model] of Object.entries(file.models)) {
    if (model.deploymentDag !== undefined && isEmpty(approversFor(file, name))) {
      warnings.push(`models.${name}: nobody may deploy, reject or roll it back: no approvers (set approvers.users/usergroups, or models.${name}.approvers)`);
    }
    if (model.channel === undefined && file.slack.defaultChannel === undefined) {
      warnings.push(
        `models.${name}: no channel and no slack.defaultChannel: its events will be refused with 422 (set models.${name}.channel or slack.defaultChannel)`,
      );
    }
    if (model.trainingDag !== undefined || model.deploymentDag !== undefined) needsTrigger.push(name);
  }
  if (file.trigger !== undefined && needsTrigger.length > 0 && (env.AWS_REGION ?? '') === '') {
    warnings.push(
      `AWS_REGION is not set: trigger.kind ${file.trigger.kind} cannot start the DAGs of ${needsTrigger.join(', ')} unless ~/.aws/config names a region (set AWS_REGION, e.g. us-east-1)`,
    );
  }
  return warnings;
}
