import type { BotDeps } from '../bot-deps';
import { approversFor } from '../core/authorization';
import { approverIds } from '../core/candidate-state-machine';
import type { WaitingItem } from '../../views/waiting-on-you-view';

/**
 * The pending candidates `userId` may decide, oldest first (the Home tab's "waiting on you"): an
 * approver of the model (user groups resolved the way clicks are authorized), who has not approved
 * it yet and, under forbidSelfApproval, did not start its run.
 */
export async function collectWaitingOnYou(deps: Pick<BotDeps, 'config' | 'candidates' | 'principals'>, userId: string): Promise<WaitingItem[]> {
  const config = deps.config.file;
  const items: WaitingItem[] = [];
  for (const model of Object.keys(config.models)) {
    if (!(await deps.principals.includes(userId, approversFor(config, model), false))) continue;
    for (const c of await deps.candidates.listByModel(model)) {
      if (c.state !== 'pending' || approverIds(c).includes(userId)) continue;
      if (config.approvals.forbidSelfApproval && c.startedBy === userId) continue;
      items.push({
        candidateId: c.id,
        model: c.model,
        version: c.version,
        origin: c.origin,
        ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
        createdAt: c.createdAt,
        approvals: approverIds(c).length,
        required: c.requiredApprovals,
        ...(c.message !== undefined ? { channel: c.message.channel } : {}),
      });
    }
  }
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
