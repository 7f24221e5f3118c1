import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/config-schema';
import { approverIds, attachMessage, isConfirming, type DeploymentCandidate } from '../core/candidate-state-machine';
import { isGradual } from '../core/deployment-strategy';
import type { Clock } from '../core/ports';
import { childLogger, type Logger } from '../observability/create-logger';
import { candidateMessageView, candidateNotice } from '../../views/candidate-message-view';
import { confirmingNotice, endpointMismatchNotice } from '../../views/trigger-confirming-view';
import type { SlackMessage } from '../../views/slack-message';
import type { UpdateMessage } from '../outbox';
import type { CandidateRepository } from './candidate-repository';
import type { MessageRef } from './deployments-api';
import type { ProductionRecord, ProductionRegistry } from './production-registry';
import { candidateGate, type GateCheck } from '../core/approval-gate';

const MAX_RENDER_ROUNDS = 3;

export type { MessageRef };

/** The port through which the deployment engine shows a candidate's card (it never renders one itself). */
export interface CandidateCards {
  /**
   * Queues the card's re-render from its record into the outbox (the one background path to
   * Slack): paced, retried through 429s, the latest state wins (the record's rev is its version).
   * Resolves once queued, never waiting on Slack.
   */
  show(candidateId: string, log: Logger): Promise<void>;
  /**
   * Shows the card now through the interactive client, for the user's own request that must wait
   * for it ("Deploying…" before the trigger); queued into the outbox too, so that no older content
   * queued there can land after it. Gives up (logged) on Slack errors.
   */
  showNow(candidateId: string, log: Logger): Promise<void>;
  /** Posts the card of a stored candidate (a rollback request) and remembers where it is. */
  post(candidateId: string, channel: string, log: Logger): Promise<MessageRef>;
  /** Posts the card of a candidate not stored yet (a command request): where it went. */
  postNew(candidate: DeploymentCandidate, channel: string): Promise<MessageRef>;
}

/**
 * The candidate's Slack message, always rendered from the stored record (so every update is a pure
 * function of the state, notices included); concurrent updaters converge on the latest state (the
 * outbox orders by the record's rev; a direct update re-renders when the record changed meanwhile).
 */
export function createCandidateMessages(deps: {
  config: Config;
  slack: WebClient;
  updateMessage: UpdateMessage;
  candidates: CandidateRepository;
  production: ProductionRegistry;
  clock: Clock;
  logger: Logger;
}): CandidateCards {
  async function render(c: DeploymentCandidate): Promise<SlackMessage> {
    const model = deps.config.file.models[c.model];
    const history = await deps.production.history(c.model);
    // Compare with the newest deployed version other than this one: production when the
    // candidate was shown, or the version it replaced once it is live itself.
    const production = history.find((r) => r.version !== c.version);
    const rollbackTo = c.state === 'deploy_failed' && c.rollback === undefined ? production?.version : undefined;
    // Abort and roll back: while a canary / linear rollout of a deployment (not a rollback) runs.
    const abortTo = c.state === 'deploying' && c.origin !== 'rollback-command' && isGradual(c.strategy) ? production?.version : undefined;
    const notice = ownNotice(c) ?? candidateNotice(c);
    return candidateMessageView({
      candidate: c,
      ...(production !== undefined ? { production } : {}),
      metricDirections: model?.metrics ?? {},
      ...(model?.primaryMetric !== undefined ? { primaryMetric: model.primaryMetric } : {}),
      ...(model?.deploymentDag !== undefined ? { deploymentDag: model.deploymentDag } : {}),
      ...(notice !== undefined ? { notice } : {}),
      ...(rollbackTo !== undefined ? { rollbackTo } : {}),
      ...gateOf(c, production),
      ...(c.override !== undefined ? { override: c.override } : {}),
      ...(model?.strategies !== undefined ? { strategies: model.strategies } : {}),
      ...(c.strategy !== undefined ? { strategy: c.strategy } : {}),
      ...(c.progress !== undefined ? { progress: c.progress } : {}),
      ...(abortTo !== undefined ? { abortTo } : {}),
      ...(c.baked !== undefined ? { baked: c.baked.verdict } : {}),
      ...(c.shadowDecision !== undefined ? { shadowDecision: { type: c.shadowDecision.type, by: c.shadowDecision.by } } : {}),
    });
  }

  /** The non-regression gate's check on the card (contract 10), when configured; rollbacks are not gated. */
  function gateOf(c: DeploymentCandidate, production: ProductionRecord | undefined): { gate: GateCheck } | Record<string, never> {
    const gate = candidateGate(deps.config.file.approvals.gate, c, deps.config.file.models[c.model], production);
    return gate !== undefined ? { gate } : {};
  }

  /** Lines this service derives from the record and the config: a trigger in doubt, an endpoint the config overrides. */
  function ownNotice(c: DeploymentCandidate): string | undefined {
    const configured = deps.config.file.models[c.model]?.endpoint;
    if (isConfirming(c) && c.triggerDoubt !== undefined) {
      return confirmingNotice({
        model: c.model,
        version: c.version,
        endpoint: configured ?? c.endpoint ?? `the endpoint of ${c.model}`,
        ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}),
        reason: c.triggerDoubt.error.message,
        approvedBy: approverIds(c),
        checks: c.triggerDoubt.checks,
      });
    }
    if (c.state === 'pending' && configured !== undefined && c.endpoint !== undefined && c.endpoint !== configured) {
      return endpointMismatchNotice({ candidate: c, named: c.endpoint, configured });
    }
    return undefined;
  }

  async function show(candidateId: string, _log: Logger, shownRev?: number): Promise<void> {
    const c = await deps.candidates.get(candidateId);
    if (c?.message === undefined || c.rev === shownRev) return;
    await deps.updateMessage(c.message, await render(c), { type: 'candidate', version: c.rev });
  }

  async function showNow(candidateId: string, log: Logger): Promise<void> {
    let renderedRev: number | undefined;
    for (let round = 0; round < MAX_RENDER_ROUNDS; round++) {
      const c = await deps.candidates.get(candidateId);
      if (c?.message === undefined || c.rev === renderedRev) return;
      const view = await render(c);
      // Queued first: whatever the outbox sends later for this card is this content or newer.
      await deps.updateMessage(c.message, view, { type: 'candidate', version: c.rev });
      try {
        await deps.slack.chat.update({ channel: c.message.channel, ts: c.message.ts, text: view.text, blocks: view.blocks });
      } catch (error) {
        childLogger(log, { candidate: c.id }).warn(
          { err: error, messageChannel: c.message.channel, messageTs: c.message.ts },
          'could not update the candidate message',
        );
        return;
      }
      renderedRev = c.rev;
    }
  }

  return {
    show,
    showNow,

    async postNew(candidate: DeploymentCandidate, channel: string): Promise<MessageRef> {
      const view = await render(candidate);
      const res = await deps.slack.chat.postMessage({ channel, text: view.text, blocks: view.blocks, unfurl_links: false, unfurl_media: false });
      return { channel: res.channel ?? channel, ts: res.ts ?? '' };
    },

    async post(candidateId: string, channel: string, log: Logger): Promise<MessageRef> {
      const c = await deps.candidates.get(candidateId);
      if (c === undefined) throw new Error(`candidate ${candidateId} vanished before its message was posted`);
      const view = await render(c);
      const res = await deps.slack.chat.postMessage({ channel, text: view.text, blocks: view.blocks, unfurl_links: false, unfurl_media: false });
      const ts = res.ts ?? '';
      const at = deps.clock.now().toISOString();
      // The rev the posted view shows, when only the attach itself changed the record since.
      const shownRev = await deps.candidates.update(candidateId, (current) => {
        const d = attachMessage(current, { channel: res.channel ?? channel, ts, at });
        const unchangedSinceRender = current.rev === c.rev;
        if (d.ok && d.next !== undefined) return { write: d.next, result: unchangedSinceRender ? current.rev + 1 : undefined };
        return { result: undefined };
      });
      childLogger(log, { candidate: candidateId }).debug({ messageChannel: channel, messageTs: ts }, 'candidate message posted');
      // The state may have moved on while we posted (an approval on another replica).
      await show(candidateId, log, shownRev);
      return { channel: res.channel ?? channel, ts };
    },
  };
}
