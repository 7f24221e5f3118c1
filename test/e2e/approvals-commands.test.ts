import { deploymentRunIdFor } from '../../src/core/candidate';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { ActionId } from '../../src/slack/slack-ids';
import type { TestBot } from '../kit/start-test-bot';
import {
  FRAUD,
  approvalsBotPerTest,
  auditActions,
  click,
  counterValue,
  deployClick,
  getCandidate,
  invokesFor,
  messageOf,
  seedCandidate,
  sleep,
  triggerInvokes,
  waitFor,
  waitForAnswer,
  type Seeded,
} from './approvals-helpers';

describe('/mlops deploy and /mlops rollback: confirmation cards through the same approve/lock/trigger path', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  /** Sends the command; returns the ack body and the answer through response_url, if any. */
  async function command(text: string, userId: string, channelId: string = FRAUD.channel): Promise<{ ack: string; answer: () => Promise<string> }> {
    const responseId = `cmd-${Math.random().toString(36).slice(2)}`;
    const res = await t.command(text, { userId, channelId, responseUrl: t.slack.responseUrl(responseId) });
    expect(res.status).toBe(200);
    const ack = await res.text();
    return {
      ack,
      answer: () =>
        waitFor(() => t.slack.responses.find((r) => r.id === responseId), `the answer to ${text}`).then(
          (r) => `${r.text ?? ''} ${JSON.stringify(r.blocks ?? [])}`,
        ),
    };
  }

  async function cardPosted(channel = FRAUD.channel): Promise<Seeded & { candidate: DeploymentCandidate }> {
    const [post] = await t.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.args['channel']).toBe(channel);
    const ts = String(post?.response?.['ts']);
    const candidate = await waitFor(
      async () => ((await t.bot.deps.candidates.listByModel(FRAUD.model)) as DeploymentCandidate[]).find((c) => c.message?.ts === ts),
      'the command candidate',
    );
    return { id: candidate.id, channel, ts, candidate };
  }

  it('deploy: an approver gets an in-channel card with the version’s metrics against production and Deploy / Cancel; Cancel cancels', async () => {
    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.3.0',
      metrics: { f1: 0.88 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-20T10:00:00Z',
    });
    const evaluation = await seedCandidate(t, { version: '1.4.0', lineage: { commit: '3f2a9c1' } });
    t.slack.reset();
    const { ack } = await command('deploy fraud-detector 1.4.0', 'U0ALICE');
    expect(ack).toBe('');
    const card = await cardPosted();
    expect(card.candidate).toMatchObject({
      origin: 'deploy-command',
      version: '1.4.0',
      requestedBy: 'U0ALICE',
      state: 'pending',
      replacesVersion: '1.3.0',
      lineage: { commit: '3f2a9c1' },
    });
    expect(card.candidate.metrics).toEqual((await getCandidate(t, evaluation.id)).metrics);
    const shown = messageOf(t, card);
    expect(shown.blocks).toContain('Deploy request: fraud-detector 1.4.0 → fraud-detector-prod');
    expect(shown.blocks).toContain('better than 1.3.0 in production: F1 0.91 vs 0.88');
    expect(shown.actions.map((a) => [a.action_id, a.value])).toEqual([
      [ActionId.Deploy, card.id],
      [ActionId.CancelDeploy, card.id],
    ]);

    await click(t, ActionId.CancelDeploy, card, 'U0BOB');
    await waitFor(() => messageOf(t, card).blocks.includes('Cancelled by <@U0BOB>'), 'the cancelled card');
    expect(messageOf(t, card).actions).toEqual([]);
    expect(await getCandidate(t, card.id)).toMatchObject({ state: 'rejected', decidedBy: 'U0BOB' });
    expect(await auditActions(t, FRAUD.model, card.id)).toEqual([{ action: 'rejected', actor: 'U0BOB', detail: 'cancelled' }]);
    const late = await deployClick(t, card, 'U0ALICE');
    expect(await waitForAnswer(t, late)).toContain('was already cancelled by <@U0BOB>');
    await sleep(50);
    expect(triggerInvokes(t)).toHaveLength(0);
  });

  it('deploy: the card’s Deploy button triggers the deployment DAG exactly like the evaluation message', async () => {
    await seedCandidate(t, { version: '1.4.0' });
    t.slack.reset();
    await command('deploy fraud-detector 1.4.0', 'U0ALICE');
    const card = await cardPosted();
    await deployClick(t, card, 'U0ALICE');
    await waitFor(() => invokesFor(t, card.id).length === 1, 'the Invoke');
    expect(invokesFor(t, card.id)[0]?.body).toEqual({
      dag_name: FRAUD.dag,
      dag_run_id: deploymentRunIdFor(card.id, 1),
      conf: {
        model: FRAUD.model,
        version: '1.4.0',
        endpoint: FRAUD.endpoint,
        approved_by: ['U0ALICE'],
        candidate_id: card.id,
        strategy: { type: 'all-at-once' },
      },
    });
    await waitFor(() => messageOf(t, card).blocks.includes('Deploying 1.4.0 to fraud-detector-prod: approved by <@U0ALICE>'), 'the deploying card');

    // Same locks: a second request for the endpoint is refused while this one deploys.
    t.slack.reset();
    await seedCandidate(t, { version: '1.5.0' });
    t.slack.reset();
    await command('deploy fraud-detector 1.5.0', 'U0BOB');
    const second = await cardPosted();
    const responseId = await deployClick(t, second, 'U0BOB');
    expect(await waitForAnswer(t, responseId)).toContain('fraud-detector-prod is busy: 1.4.0 deploying since');
  });

  it('deploy: the self-approval rule follows the version into the command card', async () => {
    await seedCandidate(t, { version: '1.4.0', startedBy: 'U0ALICE' });
    t.slack.reset();
    await command('deploy fraud-detector 1.4.0', 'U0ALICE');
    const card = await cardPosted();
    const responseId = await deployClick(t, card, 'U0ALICE');
    expect(await waitForAnswer(t, responseId)).toContain('You started this run');
    await sleep(50);
    expect(triggerInvokes(t)).toHaveLength(0);
  });

  it('deploy: approvers only; unknown versions are answered with the known ones; the live version is refused', async () => {
    await seedCandidate(t, { version: '1.4.0' });
    await seedCandidate(t, { version: '1.3.0' });
    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.2.0',
      metrics: { f1: 0.8 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-01T10:00:00Z',
    });
    t.slack.reset();

    const mallory = await command('deploy fraud-detector 1.4.0', 'U0MALLORY');
    const refused = await mallory.answer();
    expect(refused).toContain('only <@U0ALICE>, <@U0BOB>, <@U0CAROL> or members of <!subteam^S0MLOPS> may deploy fraud-detector');

    const unknown = await (await command('deploy fraud-detector 9.9.9', 'U0ALICE')).answer();
    expect(unknown).toContain('fraud-detector has no version 9.9.9. Known versions: 1.4.0, 1.3.0, 1.2.0');

    const live = await (await command('deploy fraud-detector 1.2.0', 'U0ALICE')).answer();
    expect(live).toContain('fraud-detector 1.2.0 is already live on fraud-detector-prod');
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('deploy: a rejected version is refused, naming who rejected it and why; nothing is posted or requested (issue 10)', async () => {
    await seedCandidate(t, {
      version: '1.4.0',
      state: 'rejected',
      decidedBy: 'U0BOB',
      decidedAt: '2026-11-24T10:05:00.000Z',
      rejectReason: 'recall dropped <!channel>',
    });
    t.slack.reset();
    const before = (await t.bot.deps.candidates.listByModel(FRAUD.model)).length;

    const answer = await (await command('deploy fraud-detector 1.4.0', 'U0ALICE')).answer();
    expect(answer).toContain('fraud-detector 1.4.0 was rejected by <@U0BOB>');
    expect(answer).toContain('“recall dropped &lt;!channel&gt;”');
    expect(answer).toContain('does not override a Reject');
    expect(answer).not.toContain('<!channel>');
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await t.bot.deps.candidates.listByModel(FRAUD.model)).length).toBe(before);
    expect(triggerInvokes(t)).toHaveLength(0);
  });

  it('rollback without a version picks the previous deployed version; its card deploys through the same path', async () => {
    const record = (version: string, f1: number, deployedAt: string) =>
      t.bot.deps.production.recordDeployed({ model: FRAUD.model, version, metrics: { f1 }, endpoint: FRAUD.endpoint, deployedAt });
    await record('1.2.0', 0.86, '2026-11-01T10:00:00Z');
    await record('1.3.0', 0.88, '2026-11-10T10:00:00Z');
    await record('1.4.0', 0.85, '2026-11-20T10:00:00Z');
    await command('rollback fraud-detector', 'U0BOB');
    const card = await cardPosted();
    expect(card.candidate).toMatchObject({
      origin: 'rollback-command',
      version: '1.3.0',
      replacesVersion: '1.4.0',
      metrics: { f1: 0.88 },
      requestedBy: 'U0BOB',
    });
    expect(messageOf(t, card).blocks).toContain('Rollback request: fraud-detector 1.3.0 → fraud-detector-prod');
    expect(messageOf(t, card).blocks).toContain('better than 1.4.0 in production');

    await deployClick(t, card, 'U0BOB');
    await waitFor(() => invokesFor(t, card.id).length === 1, 'the rollback Invoke');
    await waitFor(async () => (await getCandidate(t, card.id)).triggerConfirmedAt !== undefined, 'the trigger confirmation');
    expect(invokesFor(t, card.id)[0]?.body.conf).toMatchObject({ version: '1.3.0', approved_by: ['U0BOB'] });
    expect(await counterValue(t, 'dagTriggers', { purpose: 'rollback', result: 'ok' })).toBe(1);
  });

  it('rollback to a named version; unknown or live versions and nothing deployed get clear answers', async () => {
    const none = await (await command('rollback fraud-detector', 'U0ALICE')).answer();
    expect(none).toContain('nothing to roll back: no version of fraud-detector has been deployed through the bot yet');

    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.2.0',
      metrics: { f1: 0.86 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-01T10:00:00Z',
    });
    const onlyOne = await (await command('rollback fraud-detector', 'U0ALICE')).answer();
    expect(onlyOne).toContain('only 1.2.0 of fraud-detector has been deployed');

    await t.bot.deps.production.recordDeployed({
      model: FRAUD.model,
      version: '1.3.0',
      metrics: { f1: 0.88 },
      endpoint: FRAUD.endpoint,
      deployedAt: '2026-11-10T10:00:00Z',
    });
    const unknown = await (await command('rollback fraud-detector 1.1.0', 'U0ALICE')).answer();
    expect(unknown).toContain('fraud-detector 1.1.0 was never deployed, so it cannot be rolled back to. Deployed versions: 1.3.0, 1.2.0');
    const live = await (await command('rollback fraud-detector 1.3.0', 'U0ALICE')).answer();
    expect(live).toContain('fraud-detector 1.3.0 is already live');
    const mallory = await (await command('rollback fraud-detector 1.2.0', 'U0MALLORY')).answer();
    expect(mallory).toContain('may roll back fraud-detector');
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);

    await command('rollback fraud-detector 1.2.0', 'U0ALICE');
    const card = await cardPosted();
    expect(card.candidate).toMatchObject({ origin: 'rollback-command', version: '1.2.0', replacesVersion: '1.3.0' });
  });

  it('a card that cannot be posted (bot not in the channel) requests nothing and says why', async () => {
    await seedCandidate(t, { version: '1.4.0' });
    t.slack.reset();
    t.slack.failNext('chat.postMessage', 1, { error: 'not_in_channel' });
    const answer = await (await command('deploy fraud-detector 1.4.0', 'U0ALICE', 'C0ELSEWHERE')).answer();
    expect(answer).toContain('I cannot post in this channel');
    const commandCandidates = ((await t.bot.deps.candidates.listByModel(FRAUD.model)) as DeploymentCandidate[]).filter((c) => c.origin !== 'evaluation');
    expect(commandCandidates).toEqual([]);
  });
});
