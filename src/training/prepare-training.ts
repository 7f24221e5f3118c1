import type { BotDeps } from '../bot-deps';
import { describePrincipals, operatorsFor } from '../core/authorization';
import { ErrorCode, MlopsError } from '../core/errors';
import type { DagTrigger } from '../core/ports';

export interface PreparedTraining {
  dagId: string;
  trigger: DagTrigger;
}

/**
 * Everything that must hold before a training run is requested: the user is an operator of the
 * model (everyone when no operators are configured), a trigger is configured and the model has a
 * training DAG. Checked again on Confirm, since both may change in between.
 */
export async function prepareTraining(deps: BotDeps, model: string, userId: string): Promise<PreparedTraining> {
  const operators = operatorsFor(deps.config.file, model);
  if (!(await deps.principals.includes(userId, operators, true))) {
    throw new MlopsError(ErrorCode.NotAuthorized, `Only operators of ${model} may start training: ${describePrincipals(operators)}.`, { model, userId });
  }
  const dagId = deps.config.file.models[model]?.trainingDag;
  if (dagId === undefined) {
    throw new MlopsError(ErrorCode.ConfigInvalid, `${model} has no training DAG configured: set \`models.${model}.trainingDag\` in the config file.`, {
      model,
      missing: `models.${model}.trainingDag`,
    });
  }
  if (deps.trigger === undefined) {
    throw new MlopsError(
      ErrorCode.ConfigInvalid,
      'No DAG trigger is configured, so the bot cannot start DAGs: add a `trigger` section to the config file (`kind: lambda` with `functionName`, or `kind: mwaa` with `environment`).',
      { model, missing: 'trigger' },
    );
  }
  return { dagId, trigger: deps.trigger };
}
