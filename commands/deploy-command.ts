import { z } from 'zod';
import { commandCandidate, type DeploymentCandidate } from '../src/core/candidate-state-machine';
import { compareVersions } from '../src/core/compare-versions';
import { ErrorCode, MlopsError } from '../src/core/errors';
import { resolveModel } from '../src/core/resolve-model';
import { rejectedVersionView } from '../views/rejected-version-view';
import type { CommandSpec } from './command-spec';
import { noOptions, parseCommandArgs } from './parse-command-args';
import { assertMayDeploy, postDeployRequest } from './post-deploy-request';

const MAX_KNOWN_SHOWN = 15;

/** `deploy <model> <version>`: an in-channel card with Deploy / Cancel for a known version (approvers only). */
export function deployCommand(): CommandSpec {
  return {
    name: 'deploy',
    usage: 'deploy <model> <version>',
    summary: 'ask to deploy a known version of a model: posts a card with Deploy / Cancel (approvers only)',
    example: 'deploy fraud-detector 1.4.0',
    details:
      'The card shows the version’s metrics against production. Its Deploy button needs the same approvals as an evaluation message, takes the same endpoint lock and triggers the same deployment DAG.',
    run: async (ctx) => {
      const { args } = parseCommandArgs(ctx.line, { args: z.tuple([z.string(), z.string().min(1).max(100)]), options: noOptions });
      const { name: model, config: modelConfig } = resolveModel(args[0], ctx.deps.config.file);
      const version = args[1];
      await assertMayDeploy(ctx, model, 'deploy');

      const [candidates, history, current] = await Promise.all([
        ctx.deps.candidates.listByModel(model) as Promise<DeploymentCandidate[]>,
        ctx.deps.production.history(model),
        ctx.deps.production.current(model),
      ]);
      // The version's own evaluation (newest first), else what was recorded when it was deployed.
      const source =
        [...candidates].reverse().find((c) => c.version === version && c.origin === 'evaluation') ??
        [...candidates].reverse().find((c) => c.version === version);
      const deployed = history.find((r) => r.version === version);
      if (source === undefined && deployed === undefined) {
        const known = [...new Set([...candidates.map((c) => c.version), ...history.map((r) => r.version)])].sort((a, b) => compareVersions(b, a));
        throw new MlopsError(
          ErrorCode.CandidateNotFound,
          known.length === 0
            ? `${model} has no known versions yet: a version becomes known when its evaluation reaches the bot`
            : `${model} has no version ${version}. Known versions: ${known.slice(0, MAX_KNOWN_SHOWN).join(', ')}${known.length > MAX_KNOWN_SHOWN ? ` and ${known.length - MAX_KNOWN_SHOWN} more` : ''}`,
          { model, version, known },
        );
      }
      // One approver must not silently override another's Reject: refused, naming who and why.
      // (No override flag: it would be the same silent override with one more word. A new
      // evaluation of the version asks the approvers again.)
      const evaluation = [...candidates].reverse().find((c) => c.version === version && c.origin === 'evaluation');
      if (evaluation?.state === 'rejected') {
        ctx.log.info({ model, version, candidate: evaluation.id, rejectedBy: evaluation.decidedBy }, 'deploy command refused: the version was rejected');
        await ctx.respond({
          ...rejectedVersionView({
            model,
            version,
            ...(evaluation.decidedBy !== undefined ? { rejectedBy: evaluation.decidedBy } : {}),
            ...(evaluation.decidedAt !== undefined ? { rejectedAt: evaluation.decidedAt } : {}),
            ...(evaluation.rejectReason !== undefined ? { reason: evaluation.rejectReason } : {}),
          }),
          responseType: 'ephemeral',
        });
        return;
      }
      if (current?.version === version) {
        throw new MlopsError(
          ErrorCode.CandidateStateConflict,
          `${model} ${version} is already live${current.endpoint !== undefined ? ` on ${current.endpoint}` : ''}: nothing to deploy`,
          { model, version },
        );
      }
      const endpoint = modelConfig.endpoint ?? source?.endpoint ?? deployed?.endpoint;
      const candidate = commandCandidate({
        origin: 'deploy-command',
        model,
        version,
        sourceId: ctx.triggerId,
        metrics: source?.metrics ?? deployed?.metrics ?? {},
        requiredApprovals: modelConfig.requiredApprovals,
        requestedBy: ctx.userId,
        at: ctx.deps.clock.now().toISOString(),
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(current !== undefined ? { replacesVersion: current.version } : {}),
        // The evaluation's run and lineage, and who started it: a command cannot bypass the self-approval rule.
        ...(source !== undefined ? { from: source } : {}),
      });
      await postDeployRequest(ctx, candidate);
    },
  };
}
