/**
 * Issue 10 (security review): an evaluation event's `endpoint` must not aim the deploy lock and the
 * DAG's conf at another model's endpoint. The configured endpoint wins; a candidate naming another
 * one is refused with a clear message, and its card says why.
 */
import { deploymentRunIdFor } from '../../src/core/candidate';
import { storeKeys } from '../../src/store/store-keys';
import { randomUUID } from 'node:crypto';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import type { TestBot } from '../kit/start-test-bot';
import {
  CHURN,
  FRAUD,
  answers,
  approvalsBotPerTest,
  deployClickSettled,
  getCandidate,
  invokesFor,
  lockHolder,
  messageOf,
  seedCandidate,
  triggerInvokes,
  waitFor,
} from './approvals-helpers';

describe('approvals: the configured endpoint wins over the one an evaluation names', () => {
  let t: TestBot;
  approvalsBotPerTest((bot) => (t = bot));

  it("a candidate naming another model's endpoint: Deploy is refused, nothing is locked or invoked, the card says why", async () => {
    // What the delivery worker stores for an evaluation.completed of fraud-detector with endpoint churn-predictor-prod.
    const seeded = await seedCandidate(t, { endpoint: CHURN.endpoint });
    const responseId = await deployClickSettled(t, seeded, 'U0ALICE');

    const said = answers(t, responseId).join('\n');
    expect(said).toContain('cannot be deployed');
    expect(said).toContain(CHURN.endpoint);
    expect(said).toContain(FRAUD.endpoint);
    expect(said).toContain('Nothing changed');
    const c = await getCandidate(t, seeded.id);
    expect(c.state).toBe('pending');
    expect(c.approvals).toEqual([]);
    expect(triggerInvokes(t)).toHaveLength(0);
    expect(await lockHolder(t, CHURN.endpoint)).toBeUndefined();
    expect(await lockHolder(t, FRAUD.endpoint)).toBeUndefined();
    await waitFor(() => messageOf(t, seeded).blocks.includes(`This evaluation names endpoint ${CHURN.endpoint}`), 'the mismatch on the card');
    expect(await counterValue()).toBeGreaterThanOrEqual(1);

    async function counterValue(): Promise<number> {
      const metric = await t.bot.deps.metrics.approvals.get();
      return metric.values.filter((v) => v.labels.outcome === 'refused').reduce((s, v) => s + v.value, 0);
    }
  });

  it('the first card of such an evaluation already says so (posted through the hook and the outbox)', async () => {
    const version = `9.${Math.floor(Math.random() * 1000)}.0`;
    const res = await t.hook(evaluationCompleted({ id: randomUUID(), version, endpoint: CHURN.endpoint }));
    expect(res.status).toBe(202);
    const card = await t.slack
      .waitForCalls('chat.postMessage', 1)
      .then(() => waitFor(() => t.slack.messages(FRAUD.channel).find((m) => JSON.stringify(m.blocks).includes(version)), 'the evaluation card'));
    expect(JSON.stringify(card.blocks)).toContain(`This evaluation names endpoint ${CHURN.endpoint}`);
    expect(JSON.stringify(card.blocks)).toContain(FRAUD.endpoint);
  });

  it('a candidate without an endpoint deploys to the configured one: lock and conf name it', async () => {
    const seeded = await seedCandidate(t, { endpoint: undefined });
    await deployClickSettled(t, seeded, 'U0ALICE');
    const [invoke] = invokesFor(t, seeded.id);
    expect(invoke?.body).toMatchObject({ dag_run_id: deploymentRunIdFor(seeded.id, 1), conf: { endpoint: FRAUD.endpoint } });
    expect(await lockHolder(t, FRAUD.endpoint)).toMatchObject({ candidateId: seeded.id });
    expect(await t.bot.deps.store.get(storeKeys.endpointLock(`model-${FRAUD.model}`))).toBeNull();
  });
});
