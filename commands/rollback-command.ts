import { z } from 'zod';
import { commandCandidate, type DeploymentCandidate } from '../src/core/candidate-state-machine';
import { ErrorCode, MlopsError } from '../src/core/errors';
import { resolveModel } from '../src/core/resolve-model';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';
import { assertMayDeploy, postDeployRequest } from './post-deploy-request';

const MAX_KNOWN_SHOWN = 15;

/** `rollback <model> [version]`: a card to redeploy an earlier deployed version (default: the previous one). */
export function rollbackCommand(): CommandSpec {
  return {
    name: 'rollback',
    usage: 'rollback <model> [version]',
    summary: 'ask to redeploy an earlier version (default: the one before the current): posts a card with Deploy / Cancel (approvers only)',
    example: 'rollback fraud-detector',
    details:
      'Only versions that were deployed before can be rolled back to. The card compares that version’s metrics with production; its Deploy button goes through the same approvals, endpoint lock and trigger as any deployment.',
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, { args: z.tuple([z.string(), z.string().min(1).max(100).optional()]), options: noOptions });
      const { name: model, config: modelConfig } = resolveModel(args[0], ctx.deps.config.file);
      await assertMayDeploy(ctx, model, 'roll back');

      const [history, current] = await Promise.all([ctx.deps.production.history(model), ctx.deps.production.current(model)]);
      if (current === undefined) {
        throw new MlopsError(ErrorCode.CandidateNotFound, `nothing to roll back: no version of ${model} has been deployed through the bot yet`, { model });
      }
      const versions = [...new Set(history.map((r) => r.version))];
      const requested = args[1];
      const target = requested !== undefined ? history.find((r) => r.version === requested) : history.find((r) => r.version !== current.version);
      if (target === undefined) {
        throw new MlopsError(
          ErrorCode.CandidateNotFound,
          requested !== undefined
            ? `${model} ${requested} was never deployed, so it cannot be rolled back to. Deployed versions: ${versions.slice(0, MAX_KNOWN_SHOWN).join(', ')}`
            : `only ${current.version} of ${model} has been deployed: there is no earlier version to roll back to`,
          { model, ...(requested !== undefined ? { version: requested } : {}), known: versions },
        );
      }
      if (target.version === current.version) {
        throw new MlopsError(
          ErrorCode.CandidateStateConflict,
          `${model} ${target.version} is already live${current.endpoint !== undefined ? ` on ${current.endpoint}` : ''}: nothing to roll back`,
          { model },
        );
      }
      const candidates = (await ctx.deps.candidates.listByModel(model)) as DeploymentCandidate[];
      const evaluation = [...candidates].reverse().find((c) => c.version === target.version && c.origin === 'evaluation');
      const endpoint = modelConfig.endpoint ?? target.endpoint ?? current.endpoint;
      const candidate = commandCandidate({
        origin: 'rollback-command',
        model,
        version: target.version,
        sourceId: ctx.triggerId,
        metrics: target.metrics,
        requiredApprovals: modelConfig.requiredApprovals,
        requestedBy: ctx.userId,
        at: ctx.deps.clock.now().toISOString(),
        replacesVersion: current.version,
        ...(endpoint !== undefined ? { endpoint } : {}),
        // Lineage for the card, but not startedBy: rolling back to a version that was approved
        // before is a safety action that its trainer may need to take.
        ...(evaluation !== undefined ? { from: { ...evaluation, startedBy: undefined } } : {}),
      });
      await postDeployRequest(ctx, candidate);
    },
  };
}
