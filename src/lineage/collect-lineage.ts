import type { BotDeps } from '../bot-deps';
import { deploymentRunIdFor, type Candidate } from '../core/candidate';
import { isMlopsError } from '../core/errors';
import type { EndpointDescription, TrainingJobSummary } from '../core/ports';
import { unknownModelError } from '../core/resolve-model';
import { withTimeout } from '../core/time-limit';
import type { Logger } from '../observability/create-logger';
import type { LineageFacts } from '../../views/lineage-view';

/** AWS gets this long per call; the answer shows "unknown (…)" otherwise. */
const AWS_TIMEOUT_MS = 5000;

/**
 * `/mlops lineage <model|endpoint> [version]`: what serves traffic (or the given version) and
 * where it came from, from what the bot recorded (production record, candidate with its
 * approvals and decision, the training run's record and origin, the audit log) and what AWS says
 * (DescribeEndpoint, DescribeTrainingJob). Every piece that is missing or that AWS refused stays
 * absent with a reason; nothing is guessed.
 */
export async function collectLineage(deps: BotDeps, target: string, version: string | undefined, log: Logger): Promise<LineageFacts> {
  const { models } = deps.config.file;
  const typed = target.trim();
  const model =
    Object.keys(models).find((m) => m.toLowerCase() === typed.toLowerCase()) ??
    Object.entries(models).find(([, m]) => m.endpoint !== undefined && m.endpoint === typed)?.[0];
  if (model === undefined) {
    const endpoints = Object.values(models).flatMap((m) => (m.endpoint !== undefined ? [m.endpoint] : []));
    throw unknownModelError(typed, Object.keys(models), endpoints);
  }
  const production = await deps.production.current(model);
  const wanted = version ?? production?.version;
  const candidate =
    wanted === undefined ? undefined : await findCandidate(deps, model, wanted, production?.version === wanted ? production.candidateId : undefined);
  const endpointName = (production?.version === wanted ? production?.endpoint : undefined) ?? candidate?.endpoint ?? models[model]?.endpoint;
  const notes: string[] = [];
  const [endpoint, job] = await Promise.all([
    endpointName !== undefined ? ask(() => deps.inspector?.describeEndpoint(endpointName), `DescribeEndpoint ${endpointName}`, notes, log) : undefined,
    candidate?.trainingJob !== undefined
      ? ask(() => deps.inspector?.describeTrainingJob(candidate.trainingJob as string), `DescribeTrainingJob ${candidate.trainingJob}`, notes, log)
      : undefined,
  ]);
  const run = candidate?.run?.runId !== undefined ? await deps.runs.get(`run:${candidate.run.runId}`) : undefined;
  const audit = wanted !== undefined ? (await deps.audit.recent(model, 500)).filter((e) => e.version === wanted) : [];
  const deployTriggered = audit.find((e) => e.action === 'deploy_triggered' && e.dagRunId !== undefined);
  const deployRunId =
    deployTriggered?.dagRunId ?? (candidate !== undefined && candidate.attempt > 0 ? deploymentRunIdFor(candidate.id, candidate.attempt) : undefined);
  return {
    model,
    ...(wanted !== undefined ? { version: wanted } : {}),
    serving: production !== undefined && production.version === wanted,
    ...(production !== undefined ? { production: { version: production.version, deployedAt: production.deployedAt } } : {}),
    ...(endpointName !== undefined ? { endpointName } : {}),
    ...(endpoint !== undefined ? { endpoint: endpointFacts(endpoint) } : {}),
    ...(candidate !== undefined ? { candidate: candidateFacts(candidate) } : {}),
    ...(deployRunId !== undefined
      ? { deploymentRun: { runId: deployRunId, ...(models[model]?.deploymentDag !== undefined ? { dagId: models[model].deploymentDag } : {}) } }
      : {}),
    ...(job !== undefined ? { trainingJob: jobFacts(job) } : {}),
    ...(run?.origin !== undefined ? { origin: run.origin } : {}),
    ...(run?.startedBy !== undefined ? { startedBy: run.startedBy } : {}),
    decisions: audit
      .filter((e) => ['approved', 'rejected', 'deployed', 'deploy_failed', 'rolled_back'].includes(e.action))
      .map((e) => ({ action: e.action, actor: e.actor, at: e.at }))
      .slice(0, 20),
    notes,
  };
}

/** The production record's candidate, else the newest candidate of that version. */
async function findCandidate(deps: BotDeps, model: string, version: string, id: string | undefined): Promise<Candidate | undefined> {
  if (id !== undefined) {
    const byId = await deps.candidates.get(id);
    if (byId !== undefined) return byId;
  }
  const all = await deps.candidates.listByModel(model);
  return all.filter((c) => c.version === version).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

/** One AWS question; an error or a slow answer becomes a note ("unknown"), never a failed command. */
async function ask<T>(call: () => Promise<T> | undefined, what: string, notes: string[], log: Logger): Promise<T | undefined> {
  try {
    const pending = call();
    if (pending === undefined) {
      notes.push(`${what}: no AWS access configured`);
      return undefined;
    }
    return await withTimeout(pending, AWS_TIMEOUT_MS);
  } catch (error) {
    const why = isMlopsError(error) ? error.message : error instanceof Error ? error.message : String(error);
    log.warn({ err: error }, `lineage: ${what} failed`);
    notes.push(`${what}: ${why}`.slice(0, 300));
    return undefined;
  }
}

function endpointFacts(e: EndpointDescription): NonNullable<LineageFacts['endpoint']> {
  return {
    status: e.status,
    ...(e.endpointConfigName !== undefined ? { config: e.endpointConfigName } : {}),
    variants: e.variants.map((v) => ({
      name: v.variantName,
      ...(v.modelName !== undefined ? { modelName: v.modelName } : {}),
      ...(v.instanceType !== undefined ? { instanceType: v.instanceType } : {}),
      ...(v.instanceCount !== undefined ? { instanceCount: v.instanceCount } : {}),
      ...(v.weight !== undefined ? { weight: v.weight } : {}),
    })),
  };
}

function candidateFacts(c: Candidate): NonNullable<LineageFacts['candidate']> {
  return {
    id: c.id,
    state: c.state,
    ...(c.evaluatedAt !== undefined ? { evaluatedAt: c.evaluatedAt } : {}),
    approvals: c.approvals.map((a) => ({ userId: a.userId, at: a.at })),
    ...(c.decidedBy !== undefined ? { decidedBy: c.decidedBy } : {}),
    ...(c.decidedAt !== undefined ? { decidedAt: c.decidedAt } : {}),
    ...(c.run !== undefined ? { trainingRun: c.run } : {}),
    ...(c.trainingJob !== undefined ? { trainingJob: c.trainingJob } : {}),
    ...(c.lineage !== undefined ? { lineage: c.lineage } : {}),
  };
}

function jobFacts(j: TrainingJobSummary): NonNullable<LineageFacts['trainingJob']> {
  return {
    name: j.name,
    status: j.status,
    ...(j.image !== undefined ? { image: j.image } : {}),
    ...(j.inputChannels !== undefined ? { inputChannels: j.inputChannels } : {}),
    ...(j.hyperParameters !== undefined ? { hyperParameters: j.hyperParameters } : {}),
    ...(j.instanceType !== undefined ? { instanceType: j.instanceType } : {}),
    ...(j.instanceCount !== undefined ? { instanceCount: j.instanceCount } : {}),
    ...(j.billableSeconds !== undefined ? { billableSeconds: j.billableSeconds } : {}),
  };
}
