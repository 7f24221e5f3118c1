import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { approvalsBotPerTest, deployClickSettled, answers, seedCandidate, invokesFor, type Seeded } from './e2e/approvals-helpers';
import type { TestBot } from './kit/start-test-bot';

/**
 * Issue 18: "the example config lets nobody deploy". The real bot, loaded with the shipped
 * mlops.config.example.yml, and with the old example's `approvers: { users: [], usergroups: [] }`
 * on the model: the global approver's Deploy click triggers the deployment DAG.
 */
const example = parse(readFileSync(join(__dirname, '..', 'mlops.config.example.yml'), 'utf8')) as Record<string, unknown> & {
  models: Record<string, Record<string, unknown>>;
};
const withEmptyModelList = {
  ...example,
  models: { ...example.models, 'fraud-detector': { ...example.models['fraud-detector'], approvers: { users: [], usergroups: [] } } },
};
const withOwnList = {
  ...example,
  models: { ...example.models, 'fraud-detector': { ...example.models['fraud-detector'], approvers: { users: ['U0BOB'], usergroups: [] } } },
};

async function deployAs(t: TestBot, user: string): Promise<{ seeded: Seeded; answer: string }> {
  const seeded = await seedCandidate(t);
  const responseId = await deployClickSettled(t, seeded, user);
  return { seeded, answer: answers(t, responseId).join('\n') };
}

describe('the shipped example config: the global approver may deploy', () => {
  describe('as shipped', () => {
    let t: TestBot;
    approvalsBotPerTest((bot) => (t = bot), example);
    it('U0ALICE (global approvers) clicks Deploy: the deployment DAG is triggered once', async () => {
      const { seeded, answer } = await deployAs(t, 'U0ALICE');
      expect(answer).not.toMatch(/nobody/);
      expect(invokesFor(t, seeded.id)).toHaveLength(1);
    });
  });

  describe('with the model list empty, as the old example had it', () => {
    let t: TestBot;
    approvalsBotPerTest((bot) => (t = bot), withEmptyModelList);
    it('an empty model list means the global one: U0ALICE deploys', async () => {
      const { seeded, answer } = await deployAs(t, 'U0ALICE');
      expect(answer).not.toMatch(/nobody \(no one is configured\)/);
      expect(invokesFor(t, seeded.id)).toHaveLength(1);
    });
  });

  describe('with a model list that names someone', () => {
    let t: TestBot;
    approvalsBotPerTest((bot) => (t = bot), withOwnList);
    it('it replaces the global list: U0ALICE is refused, U0BOB deploys', async () => {
      const refused = await deployAs(t, 'U0ALICE');
      expect(refused.answer).toMatch(/<@U0BOB>/);
      expect(invokesFor(t, refused.seeded.id)).toHaveLength(0);
      const { seeded } = await deployAs(t, 'U0BOB');
      expect(invokesFor(t, seeded.id)).toHaveLength(1);
    });
  });
});
