import { randomUUID } from 'node:crypto';
import { candidateIdFor, deploymentRunIdFor } from '../../src/core/candidate';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { ActionId, BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import { candidateMessageView } from '../../views/candidate-message-view';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { answers, getCandidate, handledClicks, messageOf, sleep, triggerInvokes, waitFor, waitForAnswer, type Seeded } from './approvals-helpers';

/**
 * The authorization matrix: every action by every role, against one real bot (real Bolt, real
 * Redis, fake Slack and Lambda). The expected outcome of each cell is computed from the config
 * below by `expectedOutcome` (a small table of rules, not a list of answers), then each cell is
 * run through the bot and both the user-visible answer and the side effect are checked:
 * Lambda Invokes, the candidate record, cards and modals, or that nothing changed.
 *
 * Every cell has its own model (own channel, endpoint, DAGs, candidates), so no cell can see
 * another's lock, production history or duplicate-training guard.
 */

const ROLES = {
  approver: 'U0ALICE', // approvers.users
  groupApprover: 'U0GRACE', // member of the approver user group S0MLOPS (usergroups.users.list)
  operator: 'U0OSCAR', // operators.users, not an approver
  other: 'U0MALLORY', // neither
  starter: 'U0SAM', // approver and operator, and the user who started the run being decided on
} as const;
type Role = keyof typeof ROLES;
const STARTER = ROLES.starter;
const APPROVER_GROUP = 'S0MLOPS';
const GROUP_MEMBERS = [ROLES.groupApprover, 'U0HENRY'];

const ACTIONS = [
  'train',
  'retrain',
  'deploy-button',
  'reject-button',
  'reject-submit',
  'rollback-button',
  'deploy-command',
  'rollback-command',
  // Issue 14's buttons: after the Deploy click (a rollout, a shadow, a bake report).
  'abort-button',
  'shadow-promote',
  'shadow-stop',
  'bake-rollback',
] as const;
type Action = (typeof ACTIONS)[number];

type Outcome = 'allowed' | 'not_authorized' | 'self_approval';

interface Policy {
  approvers: { users: string[]; usergroups: string[] };
  operators: { users: string[]; usergroups: string[] };
  forbidSelfApproval: boolean;
}

/** Group membership as the fake Slack will answer usergroups.users.list. */
const GROUPS: Record<string, string[]> = { [APPROVER_GROUP]: GROUP_MEMBERS };

function inPrincipals(p: Policy['approvers'], user: string): boolean {
  return p.users.includes(user) || p.usergroups.some((g) => (GROUPS[g] ?? []).includes(user));
}

/**
 * What the config says each action needs (README "Configuration", contract section 3):
 * - train / retrain: an operator; an empty operators list means everyone.
 * - Deploy (button, or the Deploy button of a `/mlops deploy` card): an approver, and with
 *   approvals.forbidSelfApproval not the user who started the run.
 * - Reject (button and modal submit), Rollback (button, `/mlops rollback`): an approver. The
 *   self-approval rule is about approving one's own run; a rollback redeploys a version that
 *   was approved before, so it does not carry the run's starter (rollback-command.ts).
 * - Abort and roll back, Roll back from a bake report, Promote shadow, Stop shadow: an approver.
 *   The deployment they act on was already approved (by someone else when the rule is on), so
 *   the starter, an approver here, may act on it like any approver.
 */
function expectedOutcome(policy: Policy, action: Action, user: string, startedBy: string): Outcome {
  switch (action) {
    case 'train':
    case 'retrain': {
      const everyone = policy.operators.users.length === 0 && policy.operators.usergroups.length === 0;
      return everyone || inPrincipals(policy.operators, user) ? 'allowed' : 'not_authorized';
    }
    case 'deploy-button':
    case 'deploy-command':
      if (!inPrincipals(policy.approvers, user)) return 'not_authorized';
      return policy.forbidSelfApproval && user === startedBy ? 'self_approval' : 'allowed';
    case 'reject-button':
    case 'reject-submit':
    case 'rollback-button':
    case 'rollback-command':
    case 'abort-button':
    case 'shadow-promote':
    case 'shadow-stop':
    case 'bake-rollback':
      return inPrincipals(policy.approvers, user) ? 'allowed' : 'not_authorized';
  }
}

const STRICT: Policy = {
  approvers: { users: [ROLES.approver, ROLES.starter], usergroups: [APPROVER_GROUP] },
  operators: { users: [ROLES.operator, ROLES.starter], usergroups: [] },
  forbidSelfApproval: true,
};
const OPEN: Policy = { ...STRICT, operators: { users: [], usergroups: [] }, forbidSelfApproval: false };

interface Cell {
  action: Action;
  role: Role;
  user: string;
  model: string;
  channel: string;
  endpoint: string;
  trainingDag: string;
  deploymentDag: string;
  expected: Outcome;
}

function cellsFor(policy: Policy): Cell[] {
  const cells: Cell[] = [];
  let n = 0;
  for (const action of ACTIONS) {
    for (const role of Object.keys(ROLES) as Role[]) {
      n++;
      const model = `${action}-${role.toLowerCase()}`;
      cells.push({
        action,
        role,
        user: ROLES[role],
        model,
        channel: `C0M${String(n).padStart(3, '0')}`,
        endpoint: `${model}-prod`,
        trainingDag: `${model.replace(/-/g, '_')}_training`,
        deploymentDag: `${model.replace(/-/g, '_')}_deployment`,
        expected: expectedOutcome(policy, action, ROLES[role], STARTER),
      });
    }
  }
  return cells;
}

function configFor(policy: Policy, cells: Cell[]): Record<string, unknown> {
  return {
    slack: SAMPLE_CONFIG.slack,
    approvers: policy.approvers,
    operators: policy.operators,
    trigger: SAMPLE_CONFIG.trigger,
    approvals: { forbidSelfApproval: policy.forbidSelfApproval, usergroupCacheSeconds: 60 },
    // Every train cell is a first request: no "a run is still open, confirm?" question.
    training: { duplicateWindowMinutes: 0 },
    watchdog: { enabled: false },
    models: Object.fromEntries(
      cells.map((c) => [
        c.model,
        {
          channel: c.channel,
          trainingDag: c.trainingDag,
          deploymentDag: c.deploymentDag,
          endpoint: c.endpoint,
          primaryMetric: 'f1',
          metrics: { f1: 'maximize' },
          requiredApprovals: 1,
        },
      ]),
    ),
  };
}

// ---- seeding (through the bot's own repository and the fake Slack, as the delivery worker would) ----

async function seed(t: TestBot, cell: Cell, overrides: Partial<DeploymentCandidate> = {}): Promise<Seeded> {
  const version = overrides.version ?? '2.0.0';
  const at = new Date().toISOString();
  const candidate: DeploymentCandidate = {
    id: candidateIdFor(cell.model, version, randomUUID()),
    model: cell.model,
    version,
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.91 },
    endpoint: cell.endpoint,
    run: { dagId: cell.trainingDag, runId: `manual__${randomUUID().slice(0, 8)}` },
    evaluatedAt: at,
    startedBy: STARTER,
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: at,
    updatedAt: at,
    rev: 0,
    ...overrides,
  };
  const view = candidateMessageView({ candidate, metricDirections: { f1: 'maximize' }, primaryMetric: 'f1', deploymentDag: cell.deploymentDag });
  const posted = await t.bot.deps.slack.chat.postMessage({ channel: cell.channel, text: view.text, blocks: view.blocks });
  const ts = posted.ts ?? '';
  if (!(await t.bot.deps.candidates.create({ ...candidate, message: { channel: cell.channel, ts } }))) throw new Error('seed: candidate exists');
  return { id: candidate.id, channel: cell.channel, ts };
}

async function recordDeployed(t: TestBot, cell: Cell, version: string, deployedAt: string): Promise<void> {
  await t.bot.deps.production.recordDeployed({ model: cell.model, version, metrics: { f1: 0.85 }, endpoint: cell.endpoint, deployedAt });
}

const invokesOfModel = (t: TestBot, cell: Cell) =>
  triggerInvokes(t).filter((i) => i.body.dag_name === cell.trainingDag || i.body.dag_name === cell.deploymentDag);
const candidatesOf = async (t: TestBot, cell: Cell) => (await t.bot.deps.candidates.listByModel(cell.model)) as DeploymentCandidate[];

/** A signed click; returns the id of its response_url. */
async function clickAs(t: TestBot, actionId: string, seeded: Seeded, userId: string): Promise<string> {
  const responseId = `r-${randomUUID()}`;
  const res = await t.click({
    actionId,
    value: seeded.id,
    userId,
    channelId: seeded.channel,
    messageTs: seeded.ts,
    responseUrl: t.slack.responseUrl(responseId),
  });
  expect(res.status).toBe(200);
  await res.text();
  return responseId;
}

/** A click, waiting until its listener finished (the metric is its last step). */
async function clickSettled(t: TestBot, actionId: string, name: string, seeded: Seeded, userId: string): Promise<string> {
  const before = await handledClicks(t, name);
  const responseId = await clickAs(t, actionId, seeded, userId);
  await waitFor(async () => (await handledClicks(t, name)) > before, `the ${name} click to be handled`);
  return responseId;
}

/** `/mlops <text>` typed in the cell's channel: the ack status and body, and the response_url id. */
async function commandAs(t: TestBot, cell: Cell, text: string): Promise<{ ack: string; responseId: string }> {
  const responseId = `c-${randomUUID()}`;
  const res = await t.command(text, { userId: cell.user, channelId: cell.channel, responseUrl: t.slack.responseUrl(responseId) });
  expect(res.status).toBe(200);
  return { ack: await res.text(), responseId };
}

/** Waits until the command's work after its ack is done (observed in mlops_slack_requests_total). */
async function commandsHandled(t: TestBot, name: string): Promise<number> {
  const metric = await t.bot.deps.metrics.slackRequests.get();
  return metric.values.filter((v) => v.labels.kind === 'command' && v.labels.name === name).reduce((sum, v) => sum + v.value, 0);
}

async function commandSettled(t: TestBot, cell: Cell, text: string): Promise<{ ack: string; responseId: string }> {
  const name = text.split(' ')[0] ?? '';
  const before = await commandsHandled(t, name);
  const sent = await commandAs(t, cell, text);
  await waitFor(async () => (await commandsHandled(t, name)) > before, `/mlops ${text} to finish`);
  return sent;
}

/** The card a `/mlops deploy|rollback` posted in the cell's channel, if any. */
async function commandCard(t: TestBot, cell: Cell): Promise<(Seeded & { candidate: DeploymentCandidate }) | undefined> {
  const card = (await candidatesOf(t, cell)).find((c) => c.origin !== 'evaluation' && c.message !== undefined);
  return card === undefined ? undefined : { id: card.id, channel: card.message!.channel, ts: card.message!.ts, candidate: card };
}

// ---- one cell ---------------------------------------------------------------------------------------

async function runCell(t: TestBot, cell: Cell): Promise<void> {
  const { action, user, expected } = cell;
  switch (action) {
    case 'train':
    case 'retrain': {
      const retrain = action === 'retrain';
      const { ack, responseId } = await commandSettled(t, cell, `${action} ${cell.model}`);
      expect(ack).toBe('');
      const invokes = invokesOfModel(t, cell);
      if (expected === 'allowed') {
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body.dag_name).toBe(cell.trainingDag);
        expect(invokes[0]?.body.conf).toEqual({ model: cell.model, requested_by: user, retrain, params: {} });
        // The answer is the in-channel message, naming who asked; nothing ephemeral.
        const posted = t.slack.messages(cell.channel);
        expect(posted).toHaveLength(1);
        expect(posted[0]?.text).toContain(`${retrain ? 'retraining' : 'training'} ${cell.model} requested by <@${user}>`);
        expect(answers(t, responseId)).toEqual([]);
      } else {
        const [answer] = answers(t, responseId);
        expect(answer).toContain(`Only operators of ${cell.model} may start training`);
        expect(t.slack.responses.find((r) => r.id === responseId)?.response_type).toBe('ephemeral');
        expect(invokes).toHaveLength(0);
        expect(t.slack.messages(cell.channel)).toHaveLength(0);
        expect((await t.bot.deps.audit.recent(cell.model, 10)).length).toBe(0);
      }
      return;
    }

    case 'deploy-button': {
      const seeded = await seed(t, cell);
      const before = await getCandidate(t, seeded.id);
      const responseId = await clickSettled(t, ActionId.Deploy, 'deploy', seeded, user);
      if (expected === 'allowed') {
        const invokes = invokesOfModel(t, cell);
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body).toEqual({
          dag_name: cell.deploymentDag,
          dag_run_id: deploymentRunIdFor(seeded.id, 1),
          conf: {
            model: cell.model,
            version: '2.0.0',
            endpoint: cell.endpoint,
            approved_by: [user],
            candidate_id: seeded.id,
            strategy: { type: 'all-at-once' },
          },
        });
        expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'deploying', decidedBy: user });
        expect(messageOf(t, seeded).blocks).toContain(`approved by <@${user}>`);
        expect(messageOf(t, seeded).actions).toEqual([]);
        expect(answers(t, responseId)).toEqual([]);
      } else {
        const answer = await waitForAnswer(t, responseId);
        expect(answer).toContain(
          expected === 'self_approval' ? 'You started this run, so you may not approve its deployment' : `You may not approve deployments of ${cell.model}`,
        );
        await expectUnchanged(t, cell, seeded, before);
      }
      return;
    }

    case 'reject-button': {
      const seeded = await seed(t, cell);
      const before = await getCandidate(t, seeded.id);
      const responseId = await clickSettled(t, ActionId.Reject, 'reject', seeded, user);
      const opened = t.slack
        .callsTo('views.open')
        .filter((c) => String((c.args['view'] as { private_metadata?: string }).private_metadata).includes(seeded.id));
      if (expected === 'allowed') {
        // The modal asking for the reason opens; the submit does the rejecting.
        expect(opened).toHaveLength(1);
        expect((opened[0]?.args['view'] as { callback_id: string }).callback_id).toBe(CallbackId.RejectModal);
        expect(answers(t, responseId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, responseId)).toContain(`You may not reject deployments of ${cell.model}`);
        expect(opened).toHaveLength(0);
      }
      await expectUnchanged(t, cell, seeded, before);
      return;
    }

    case 'reject-submit': {
      const seeded = await seed(t, cell);
      const before = await getCandidate(t, seeded.id);
      // The submit authorizes again: a forged submit (no modal was ever opened) gets the same answer.
      const res = await t.submitView({
        callbackId: CallbackId.RejectModal,
        userId: user,
        privateMetadata: JSON.stringify({ candidateId: seeded.id, channel: seeded.channel, ts: seeded.ts }),
        values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: 'Recall dropped on the holdout set' } } },
      });
      expect(res.status).toBe(200);
      const body = await res.text();
      if (expected === 'allowed') {
        expect(body).toBe(''); // the modal closes
        expect(await getCandidate(t, seeded.id)).toMatchObject({ state: 'rejected', decidedBy: user, rejectReason: 'Recall dropped on the holdout set' });
        await waitFor(() => messageOf(t, seeded).blocks.includes(`Rejected by <@${user}>`), 'the rejected message');
        expect(invokesOfModel(t, cell)).toHaveLength(0);
      } else {
        expect(JSON.parse(body)).toEqual({
          response_action: 'errors',
          errors: { [BlockId.RejectReason]: `You may not reject deployments of ${cell.model}: only its approvers may. Nothing changed.` },
        });
        await expectUnchanged(t, cell, seeded, before);
      }
      return;
    }

    case 'rollback-button': {
      await recordDeployed(t, cell, '1.0.0', '2026-11-01T10:00:00Z');
      const longAgo = new Date(Date.now() - 3_600_000).toISOString();
      const failedId = candidateIdFor(cell.model, '2.0.0', randomUUID());
      const failed = await seed(t, cell, {
        id: failedId,
        state: 'deploy_failed',
        approvals: [{ userId: ROLES.approver, at: longAgo }],
        decidedBy: ROLES.approver,
        decidedAt: longAgo,
        attempt: 1,
        dagRunId: deploymentRunIdFor(failedId, 1),
        failureReason: 'update_endpoint: health checks failed',
      });
      const before = await getCandidate(t, failed.id);
      const responseId = await clickSettled(t, ActionId.Rollback, 'rollback', failed, user);
      const rollbacks = (await candidatesOf(t, cell)).filter((c) => c.origin === 'rollback-command');
      if (expected === 'allowed') {
        expect(rollbacks).toHaveLength(1);
        const rollback = rollbacks[0]!;
        expect(rollback).toMatchObject({ version: '1.0.0', replacesVersion: '2.0.0', requestedBy: user, state: 'deploying' });
        const invokes = invokesOfModel(t, cell);
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body.conf).toEqual({
          model: cell.model,
          version: '1.0.0',
          endpoint: cell.endpoint,
          approved_by: [user],
          candidate_id: rollback.id,
          strategy: { type: 'all-at-once' },
        });
        expect(answers(t, responseId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, responseId)).toContain(`You may not roll back deployments of ${cell.model}`);
        expect(rollbacks).toHaveLength(0);
        await expectUnchanged(t, cell, failed, before);
      }
      return;
    }

    case 'abort-button': {
      // A canary rollout of 2.0.0 in progress (approved by Alice, triggered), 1.0.0 live before it.
      await recordDeployed(t, cell, '1.0.0', '2026-11-01T10:00:00Z');
      const rollout = await seed(t, cell, approvedDeployment(cell, 'deploying', { type: 'canary', trafficPercent: 10, bakeMinutes: 10 }));
      const before = await getCandidate(t, rollout.id);
      const responseId = await clickSettled(t, ActionId.AbortRollback, 'abort_rollback', rollout, user);
      const rollbacks = (await candidatesOf(t, cell)).filter((c) => c.origin === 'rollback-command');
      if (expected === 'allowed') {
        expect(await getCandidate(t, rollout.id)).toMatchObject({ state: 'deploy_failed', abortedBy: user });
        expect(rollbacks).toHaveLength(1);
        expect(rollbacks[0]).toMatchObject({ version: '1.0.0', replacesVersion: '2.0.0', requestedBy: user, state: 'deploying' });
        const invokes = invokesOfModel(t, cell);
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body.conf).toMatchObject({
          version: '1.0.0',
          approved_by: [user],
          candidate_id: rollbacks[0]!.id,
          strategy: { type: 'all-at-once' },
        });
        expect(answers(t, responseId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, responseId)).toContain(`You may not roll back deployments of ${cell.model}`);
        expect(rollbacks).toHaveLength(0);
        await expectUnchanged(t, cell, rollout, before);
      }
      return;
    }

    case 'shadow-promote':
    case 'shadow-stop': {
      // 2.0.0 runs in shadow beside 1.0.0 (approved by Alice, deployment.succeeded received).
      const type = action === 'shadow-promote' ? 'promote-shadow' : 'stop-shadow';
      await recordDeployed(t, cell, '1.0.0', '2026-11-01T10:00:00Z');
      const shadow = await seed(t, cell, approvedDeployment(cell, 'deployed', { type: 'shadow', samplePercent: 50, durationHours: 24 }));
      const before = await getCandidate(t, shadow.id);
      const responseId = await clickSettled(
        t,
        action === 'shadow-promote' ? ActionId.ShadowPromote : ActionId.ShadowStop,
        action === 'shadow-promote' ? 'shadow_promote' : 'shadow_stop',
        shadow,
        user,
      );
      const invokes = invokesOfModel(t, cell);
      if (expected === 'allowed') {
        const after = await getCandidate(t, shadow.id);
        expect(after.shadowDecision).toMatchObject({ type, by: user });
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body).toMatchObject({
          dag_name: cell.deploymentDag,
          dag_run_id: after.shadowDecision!.dagRunId,
          conf: { version: '2.0.0', approved_by: [user], candidate_id: shadow.id, strategy: { type } },
        });
        expect(String(invokes[0]?.body.dag_run_id)).toContain(type);
        expect(answers(t, responseId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, responseId)).toContain(`deployments of ${cell.model}`);
        expect(await waitForAnswer(t, responseId)).toContain(':no_entry: You may not');
        await expectUnchanged(t, cell, shadow, before);
      }
      return;
    }

    case 'bake-rollback': {
      // 2.0.0 live after 1.0.0; its bake report said degraded and offers "Roll back to 1.0.0".
      await recordDeployed(t, cell, '1.0.0', '2026-11-01T10:00:00Z');
      await recordDeployed(t, cell, '2.0.0', '2026-11-10T10:00:00Z');
      const baked = await seed(t, cell, approvedDeployment(cell, 'deployed', { type: 'all-at-once' }));
      const before = await getCandidate(t, baked.id);
      const responseId = await clickSettled(t, ActionId.BakeRollback, 'bake_rollback', baked, user);
      const rollbacks = (await candidatesOf(t, cell)).filter((c) => c.origin === 'rollback-command');
      if (expected === 'allowed') {
        expect(rollbacks).toHaveLength(1);
        expect(rollbacks[0]).toMatchObject({ version: '1.0.0', replacesVersion: '2.0.0', requestedBy: user, state: 'deploying' });
        const invokes = invokesOfModel(t, cell);
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body.conf).toMatchObject({
          version: '1.0.0',
          approved_by: [user],
          candidate_id: rollbacks[0]!.id,
          strategy: { type: 'all-at-once' },
        });
        expect(answers(t, responseId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, responseId)).toContain(`You may not roll back deployments of ${cell.model}`);
        expect(rollbacks).toHaveLength(0);
        await expectUnchanged(t, cell, baked, before);
      }
      return;
    }

    case 'deploy-command':
    case 'rollback-command': {
      const rollback = action === 'rollback-command';
      if (rollback) {
        await recordDeployed(t, cell, '1.0.0', '2026-11-01T10:00:00Z');
        await recordDeployed(t, cell, '2.0.0', '2026-11-10T10:00:00Z');
      }
      // The version's evaluation, whose run the starter started (message posted in the channel).
      const evaluation = await seed(t, cell, rollback ? { version: '1.0.0', state: 'deployed' } : {});
      const postsBefore = t.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === cell.channel).length;
      const { ack, responseId } = await commandSettled(t, cell, rollback ? `rollback ${cell.model}` : `deploy ${cell.model} 2.0.0`);
      expect(ack).toBe('');
      const card = await commandCard(t, cell);
      if (expected === 'not_authorized') {
        const [answer] = answers(t, responseId);
        expect(answer).toContain(`may ${rollback ? 'roll back' : 'deploy'} ${cell.model}`);
        expect(answer).toContain(':lock:');
        expect(card).toBeUndefined();
        expect(t.slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === cell.channel)).toHaveLength(postsBefore);
        expect(invokesOfModel(t, cell)).toHaveLength(0);
        expect((await getCandidate(t, evaluation.id)).rev).toBe(0);
        return;
      }
      // An approver gets the card in the channel; its Deploy button is the one that deploys.
      expect(answers(t, responseId)).toEqual([]);
      expect(card).toBeDefined();
      expect(card!.candidate).toMatchObject({
        origin: rollback ? 'rollback-command' : 'deploy-command',
        version: rollback ? '1.0.0' : '2.0.0',
        requestedBy: user,
        state: 'pending',
      });
      expect(messageOf(t, card!).actions.map((a) => a.action_id)).toEqual([ActionId.Deploy, ActionId.CancelDeploy]);
      const clickId = await clickSettled(t, ActionId.Deploy, 'deploy', card!, user);
      const invokes = invokesOfModel(t, cell);
      if (expected === 'allowed') {
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.body.conf).toEqual({
          model: cell.model,
          version: rollback ? '1.0.0' : '2.0.0',
          endpoint: cell.endpoint,
          approved_by: [user],
          candidate_id: card!.id,
          strategy: { type: 'all-at-once' },
        });
        expect(await getCandidate(t, card!.id)).toMatchObject({ state: 'deploying', decidedBy: user });
        expect(answers(t, clickId)).toEqual([]);
      } else {
        expect(await waitForAnswer(t, clickId)).toContain('You started this run, so you may not approve its deployment');
        expect(invokes).toHaveLength(0);
        expect(await getCandidate(t, card!.id)).toMatchObject({ state: 'pending', approvals: [] });
      }
      return;
    }
  }
}

/** 2.0.0 approved by Alice and triggered with `strategy`, now in `state` (a rollout in progress, or live). */
function approvedDeployment(cell: Cell, state: 'deploying' | 'deployed', strategy: NonNullable<DeploymentCandidate['strategy']>): Partial<DeploymentCandidate> {
  const id = candidateIdFor(cell.model, '2.0.0', randomUUID());
  const at = new Date(Date.now() - 600_000).toISOString();
  return {
    id,
    state,
    approvals: [{ userId: ROLES.approver, at }],
    decidedBy: ROLES.approver,
    decidedAt: at,
    attempt: 1,
    dagRunId: deploymentRunIdFor(id, 1),
    triggerConfirmedAt: at,
    strategy,
  };
}

/** Nothing changed: the record, its message's buttons, no Invoke, no audit entry. */
async function expectUnchanged(t: TestBot, cell: Cell, seeded: Seeded, before: DeploymentCandidate): Promise<void> {
  await sleep(50);
  expect(await getCandidate(t, seeded.id)).toEqual(before);
  expect(invokesOfModel(t, cell)).toHaveLength(0);
  expect(await t.bot.deps.audit.recent(cell.model, 10)).toEqual([]);
}

// ---- the two configurations ----------------------------------------------------------------------

const table = (cells: Cell[]) => cells.map((c) => [c.action, c.role, c.user, c.expected, c] as const);

describe.each([
  ['operators set, forbidSelfApproval on', STRICT],
  ['operators empty (everyone may train), forbidSelfApproval off', OPEN],
] as const)('authorization matrix (%s)', (_name, policy) => {
  const cells = cellsFor(policy);
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ fileConfig: configFor(policy, cells) });
    t.slack.setUsergroup(APPROVER_GROUP, GROUP_MEMBERS);
  });
  afterAll(async () => {
    // beforeAll may have failed before assigning it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    await t?.stop();
  });

  it('the table is not trivial: each configuration both allows and refuses, and the self-approval rule shows', () => {
    const outcomes = new Set(cells.map((c) => c.expected));
    expect(outcomes.has('allowed')).toBe(true);
    expect(outcomes.has('not_authorized')).toBe(true);
    expect(outcomes.has('self_approval')).toBe(policy.forbidSelfApproval);
    const train = cells.filter((c) => c.action === 'train');
    expect(train.every((c) => c.expected === 'allowed')).toBe(policy.operators.users.length === 0);
  });

  it.each(table(cells))('%s by %s (%s) → %s', async (_action, _role, _user, _expected, cell) => {
    await runCell(t, cell);
  });
});
