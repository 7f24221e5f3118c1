import Redis from 'ioredis';
import { deploymentRunIdFor } from '../../src/core/candidate';
import { storeKeys } from '../../src/store/store-keys';
import type { TestBot } from '../kit/start-test-bot';
import { TEST_REDIS_URL } from '../kit/test-secrets';
import {
  APPROVALS_CONFIG,
  FRAUD,
  approvalsBotPerTest,
  deployClick,
  deployClickSettled,
  deploymentEvent,
  getCandidate,
  invokesFor,
  lockHolder,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  sleep,
  triggerInvokes,
  waitFor,
  waitForAnswer,
} from './approvals-helpers';

describe('approvals: one deployment per endpoint (lock), released by the outcome or by its timeout', () => {
  let redis: Redis;
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot), { ...APPROVALS_CONFIG, deployments: { lockTimeoutMinutes: 45 } });
  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function deployFirst() {
    const first = await seedCandidate(t, { version: '1.4.0' });
    await deployClickSettled(t, first, 'U0ALICE');
    await waitFor(async () => (await getCandidate(t, first.id)).triggerConfirmedAt !== undefined, 'the first deployment');
    return first;
  }

  it('refuses a second version while the first is deploying: "fraud-detector-prod is busy: 1.4.0 deploying since …, approved by @a"', async () => {
    await deployFirst();
    const second = await seedCandidate(t, { version: '1.5.0' });
    const responseId = await deployClick(t, second, 'U0BOB');
    const answer = await waitForAnswer(t, responseId);
    expect(answer).toMatch(/fraud-detector-prod is busy: 1\.4\.0 deploying since <!date\^\d+\^\{time\}\|[^>]+>, approved by <@U0ALICE>/);
    await sleep(100);
    // Nothing changed for the second candidate: not even the approval was recorded.
    expect(await getCandidate(t, second.id)).toMatchObject({ state: 'pending', approvals: [], attempt: 0 });
    expect(messageOf(t, second).actions.map((a) => a.action_id)).toEqual(['mlops_deploy', 'mlops_reject']);
    expect(triggerInvokes(t)).toHaveLength(1);
    expect(await lockHolder(t, FRAUD.endpoint)).toMatchObject({ version: '1.4.0' });
  });

  it('deployment.succeeded releases the lock (and marks the candidate deployed); the next version may then deploy', async () => {
    const first = await deployFirst();
    await runPipelineHooks(t, deploymentEvent('deployment.succeeded', { version: '1.4.0', candidate_id: first.id }));
    expect(await getCandidate(t, first.id)).toMatchObject({ state: 'deployed' });
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
    await waitFor(() => messageOf(t, first).blocks.includes('1.4.0 is live on fraud-detector-prod: approved by <@U0ALICE>'), 'the live message');
    expect((await t.bot.deps.production.current(FRAUD.model))?.version).toBe('1.4.0');

    const second = await seedCandidate(t, { version: '1.5.0' });
    await deployClick(t, second, 'U0BOB');
    await waitFor(() => invokesFor(t, second.id).length === 1, 'the second deployment');
    expect(await lockHolder(t, FRAUD.endpoint)).toMatchObject({ candidateId: second.id, version: '1.5.0', approvedBy: ['U0BOB'] });
  });

  it('deployment.failed releases the lock as well', async () => {
    const first = await deployFirst();
    await runPipelineHooks(t, deploymentEvent('deployment.failed', { version: '1.4.0' }));
    expect(await getCandidate(t, first.id)).toMatchObject({
      state: 'deploy_failed',
      failureReason: 'update_endpoint: UpdateEndpoint failed: the new variant did not pass health checks',
    });
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
  });

  it('the lock ends after deployments.lockTimeoutMinutes even if no outcome ever arrives', async () => {
    const first = await deployFirst();
    const key = `${t.keyPrefix}${storeKeys.endpointLock(FRAUD.endpoint)}`;
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(44 * 60_000);
    expect(ttl).toBeLessThanOrEqual(45 * 60_000);
    // Let the 45 minutes pass for this key only.
    await redis.pexpire(key, 1);
    await sleep(20);
    const second = await seedCandidate(t, { version: '1.5.0' });
    await deployClick(t, second, 'U0BOB');
    await waitFor(() => invokesFor(t, second.id).length === 1, 'the second deployment after the timeout');
    // The lost callback leaves the first candidate deploying; it no longer blocks the endpoint.
    expect((await getCandidate(t, first.id)).state).toBe('deploying');
  });

  it('a stale holder (its candidate no longer deploying) does not block the endpoint', async () => {
    const old = await seedCandidate(t, { version: '1.3.0', state: 'deployed' });
    await t.bot.deps.store.set(
      storeKeys.endpointLock(FRAUD.endpoint),
      JSON.stringify({
        candidateId: old.id,
        model: FRAUD.model,
        version: '1.3.0',
        endpoint: FRAUD.endpoint,
        since: new Date().toISOString(),
        approvedBy: ['U0CAROL'],
      }),
      60_000,
    );
    const next = await seedCandidate(t, { version: '1.4.0' });
    await deployClick(t, next, 'U0ALICE');
    await waitFor(() => invokesFor(t, next.id).length === 1, 'the deployment');
    expect(await lockHolder(t, FRAUD.endpoint)).toMatchObject({ candidateId: next.id });
    expect(invokesFor(t, next.id)[0]?.body.dag_run_id).toBe(deploymentRunIdFor(next.id, 1));
  });

  it('endpoints are independent: another model deploys while fraud-detector-prod is busy', async () => {
    await deployFirst();
    const churn = await seedCandidate(t, { model: 'churn-predictor', version: '2.0.0', requiredApprovals: 1, metrics: { auc: 0.9 } });
    await deployClick(t, churn, 'U0BOB');
    await waitFor(() => invokesFor(t, churn.id).length === 1, 'the churn deployment');
  });
});
