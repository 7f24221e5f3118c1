import { deploymentRunIdFor } from '../../src/core/candidate';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';
import { startPrivateCluster, type PrivateCluster } from '../kit/private-redis';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import {
  APPROVALS_CONFIG,
  CHURN,
  FRAUD,
  deployClick,
  deploymentEvent,
  getCandidate,
  handledClicks,
  invokesFor,
  messageOf,
  runPipelineHooks,
  seedCandidate,
  sleep,
  waitFor,
} from './approvals-helpers';
import { testKeyPrefix } from '../kit/test-key-prefix';

/**
 * The race of issue 4: two app instances (replicas) on one Redis (same key prefix), 20 concurrent
 * Deploy clicks for the same candidate spread over both: exactly one Lambda Invoke. Repeated 20
 * times; every round waits until all 20 clicks have been fully handled before counting, so a late
 * second trigger could not slip past the assertion. Run on a single Redis and on a private 3-master
 * Redis Cluster (REDIS_CLUSTER=true, as on ElastiCache Serverless), started once for this file.
 */
describe.each([
  ['a single Redis', false],
  ['a 3-master Redis Cluster', true],
])('RACE: 20 concurrent Deploy clicks on two replicas sharing %s trigger exactly once', (_backend, onCluster) => {
  const ROUNDS = 20;
  const CLICKS = 20;
  let slack: FakeSlack;
  let aws: FakeAws;
  let a: TestBot;
  let b: TestBot;
  let cluster: PrivateCluster | undefined;
  beforeAll(async () => {
    slack = await startFakeSlack();
    aws = await startFakeAws();
    if (onCluster) cluster = await startPrivateCluster({ masters: 3 });
    const env = cluster !== undefined ? { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' } : {};
    const keyPrefix = testKeyPrefix('race');
    a = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack, aws, keyPrefix, env });
    b = await startTestBot({ fileConfig: APPROVALS_CONFIG, slack, aws, keyPrefix, env });
    slack.setUsergroup('S0MLOPS', ['U0G1', 'U0G2', 'U0G3']);
  }, 60_000);
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await slack.close();
    await aws.close();
    await cluster?.stop();
  });

  const approvers = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0G1', 'U0G2', 'U0G3'];
  const handled = async () => (await handledClicks(a, 'deploy')) + (await handledClicks(b, 'deploy'));

  it(`one approval required: ${ROUNDS} rounds × ${CLICKS} clicks → one Invoke per round`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const version = `1.${round}.0`;
      const seeded = await seedCandidate(a, { version });
      const before = await handled();
      await Promise.all(Array.from({ length: CLICKS }, (_, i) => deployClick(i % 2 === 0 ? a : b, seeded, approvers[i % approvers.length]!)));
      await waitFor(async () => (await handled()) === before + CLICKS, `round ${round}: all clicks handled`, 15_000);
      await sleep(30);

      const invokes = invokesFor(a, seeded.id);
      expect({ round, invokes: invokes.length }).toEqual({ round, invokes: 1 });
      expect(invokes[0]?.body.dag_run_id).toBe(deploymentRunIdFor(seeded.id, 1));
      const c = await getCandidate(a, seeded.id);
      expect(c.state).toBe('deploying');
      expect(c.triggerConfirmedAt).toBeDefined();
      expect(c.approvals).toHaveLength(1);
      expect(invokes[0]?.body.conf['approved_by']).toEqual([c.approvals[0]?.userId]);
      // Concurrent message updates converge on the final state.
      await waitFor(() => messageOf(a, seeded).blocks.includes(`Deploying ${version} to fraud-detector-prod`), `round ${round}: final message`);
      expect(messageOf(a, seeded).actions).toEqual([]);

      // The outcome frees the endpoint for the next round.
      await runPipelineHooks(round % 2 === 0 ? a : b, deploymentEvent('deployment.succeeded', { version, candidate_id: seeded.id }));
    }
    expect(aws.lambda.runs().filter((r) => r.dagId === FRAUD.dag)).toHaveLength(ROUNDS);
  });

  it('two approvals required: 20 concurrent clicks by 4 people on both replicas → one Invoke with two distinct approvers, 10 rounds', async () => {
    const people = ['U0ALICE', 'U0BOB', 'U0G1', 'U0G2'];
    for (let round = 0; round < 10; round++) {
      const version = `3.${round}.0`;
      const seeded = await seedCandidate(a, { model: CHURN.model, version, metrics: { auc: 0.9 } });
      const before = await handled();
      await Promise.all(Array.from({ length: CLICKS }, (_, i) => deployClick(i % 2 === 0 ? b : a, seeded, people[i % people.length]!)));
      await waitFor(async () => (await handled()) === before + CLICKS, `round ${round}: all clicks handled`, 15_000);
      await sleep(30);
      const invokes = invokesFor(a, seeded.id);
      expect({ round, invokes: invokes.length }).toEqual({ round, invokes: 1 });
      const approvedBy = invokes[0]?.body.conf['approved_by'] as string[];
      expect(new Set(approvedBy).size).toBe(2);
      expect((await getCandidate(a, seeded.id)).approvals.map((x) => x.userId)).toEqual(approvedBy);
      await runPipelineHooks(a, deploymentEvent('deployment.succeeded', { model: CHURN.model, endpoint: CHURN.endpoint, version, candidate_id: seeded.id }));
    }
  });
});
