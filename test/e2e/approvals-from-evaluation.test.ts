/**
 * FULL PATH, NEEDS THE DELIVERY WORKER (issue "Pipeline results in Slack"): a signed
 * evaluation.completed event → the delivery worker stores the candidate and posts its message →
 * a signed Deploy click → the Lambda Invoke → a signed deployment.succeeded event → the delivery
 * worker runs the deployment-outcome hook → deployed, lock released. Until delivery lands this
 * file fails at the first wait ("the candidate and its message").
 */
import { deploymentRunIdFor } from '../../src/core/candidate';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { ActionId } from '../../src/slack/slack-ids';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { APPROVALS_CONFIG, FRAUD, deploymentEvent, getCandidate, invokesFor, lockHolder, messageOf, waitFor } from './approvals-helpers';

describe('[needs delivery] from a signed evaluation.completed to the deployment DAG and back', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ fileConfig: APPROVALS_CONFIG });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('evaluation.completed → Deploy click → Invoke → deployment.succeeded → deployed and unlocked', async () => {
    const event = evaluationCompleted({ version: '1.4.0' });
    expect((await t.hook(event)).status).toBe(202);

    const candidate = await waitFor(
      async () => {
        const all = (await t.bot.deps.candidates.listByModel(FRAUD.model)) as DeploymentCandidate[];
        return all.find((c) => c.version === '1.4.0' && c.message !== undefined);
      },
      'the candidate and its message (posted by the delivery worker)',
      15_000,
    );
    const message = candidate.message!;
    const deploy = messageOf(t, message).actions.find((a) => a.action_id === ActionId.Deploy);
    expect(deploy?.value).toBe(candidate.id);

    const res = await t.click({ actionId: ActionId.Deploy, value: candidate.id, userId: 'U0ALICE', channelId: message.channel, messageTs: message.ts });
    expect(res.status).toBe(200);
    const [invoke] = await waitFor(() => (invokesFor(t, candidate.id).length > 0 ? invokesFor(t, candidate.id) : undefined), 'the Invoke');
    expect(invoke?.body).toMatchObject({
      dag_name: FRAUD.dag,
      dag_run_id: deploymentRunIdFor(candidate.id, 1),
      conf: { candidate_id: candidate.id, approved_by: ['U0ALICE'] },
    });
    await waitFor(() => messageOf(t, message).blocks.includes('Deploying 1.4.0 to fraud-detector-prod: approved by <@U0ALICE>'), 'the deploying message');

    expect((await t.hook(deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: candidate.id }))).status).toBe(202);
    await waitFor(async () => (await getCandidate(t, candidate.id)).state === 'deployed', 'the deployed candidate', 15_000);
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
    await waitFor(() => messageOf(t, message).blocks.includes('1.4.0 is live on fraud-detector-prod'), 'the live message');
  }, 45_000);
});
