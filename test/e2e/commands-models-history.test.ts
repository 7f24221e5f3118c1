import type { Candidate } from '../../src/core/candidate';
import type { AuditEntry } from '../../src/deployments/audit-log';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { nextResponse, sendCommand } from './commands-kit';

function candidate(overrides: Partial<Candidate>): Candidate {
  return {
    id: `fraud-detector_${overrides.version ?? '1.5.0'}_abc`,
    model: 'fraud-detector',
    version: '1.5.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.93, precision: 0.94 },
    requiredApprovals: 2,
    approvals: [{ userId: 'U0ALICE', at: '2026-11-24T10:10:00Z' }],
    attempt: 0,
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:10:00Z',
    rev: 1,
    ...overrides,
  };
}

/** The first section of an answer (the history lines; the trend image, when there is one, sits above them). */
function firstSection(blocks: unknown[] | undefined): { text: { text: string } } {
  return (blocks ?? []).find((b) => (b as { type?: string }).type === 'section') as { text: { text: string } };
}

describe('/mlops models and history', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
    const { deps } = t.bot;
    await deps.production.recordDeployed({ model: 'fraud-detector', version: '1.4.0', metrics: { f1: 0.91 }, deployedAt: '2026-11-20T14:35:00Z' });
    await deps.candidates.create(candidate({ version: '1.3.9', state: 'rejected', createdAt: '2026-11-19T10:00:00Z', approvals: [] }));
    await deps.candidates.create(candidate({ version: '1.5.0' }));
    await deps.store.set(
      'model:fraud-detector:last-failure',
      JSON.stringify({
        at: '2026-11-24T09:40:00Z',
        type: 'training.failed',
        task: 'train_model',
        message: 'ResourceLimitExceeded: ml.p3.2xlarge',
        logUrl: 'https://mwaa.example.com/log?x=1',
        runId: 'r1',
      }),
    );
    // Written by someone else's code in an older format: must not break the command.
    await deps.store.set('model:churn-predictor:last-failure', 'OOMKilled (exit 137)');
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.slack.reset();
    t.aws.reset();
  });

  it('models: deployed version, latest candidate and its state, pending approvals, last failure and the newest SageMaker model', async () => {
    const ack = await sendCommand(t, 'models');
    expect(ack.status).toBe(200);
    const answer = await nextResponse(t, 0);
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toBe('2 models: fraud-detector 1.4.0, 1 pending; churn-predictor (nothing deployed)');
    expect(answer.all).toContain('*fraud-detector* · <#C0FRAUD> · endpoint `fraud-detector-prod`');
    expect(answer.all).toContain('Deployed: *1.4.0* (');
    expect(answer.all).toContain('Latest candidate: *1.5.0* pending approval (');
    expect(answer.all).toContain(') · f1 0.930');
    expect(answer.all).toContain('Pending approvals: 1.5.0 (1 of 2)');
    expect(answer.all).toContain(':x: Last failure (training.failed in train_model)');
    expect(answer.all).toContain('ResourceLimitExceeded: ml.p3.2xlarge <https://mwaa.example.com/log?x=1|log>');
    expect(answer.all).toContain('SageMaker: newest model `fraud-detector-1-4-0`');
    expect(answer.all).toContain('*churn-predictor* · <#C0CHURN> · endpoint `churn-predictor-prod`');
    expect(answer.all).toContain(':x: Last failure: OOMKilled (exit 137)');
    expect(answer.all).toContain('SageMaker: no model of that name');
    const listed = t.aws
      .callsTo('sagemaker', 'ListModels')
      .map((c) => c.body as { NameContains: string; MaxResults: number; SortBy: string; SortOrder: string });
    expect(listed.map((b) => b.NameContains).sort()).toEqual(['churn-predictor', 'fraud-detector']);
    expect(listed[0]).toMatchObject({ MaxResults: 1, SortBy: 'CreationTime', SortOrder: 'Descending' });
  });

  it('models: an AWS error only makes the SageMaker line say why', async () => {
    t.aws.failNext(
      'sagemaker',
      'ListModels',
      { error: { status: 400, type: 'AccessDeniedException', message: 'not authorized to perform: sagemaker:ListModels' } },
      10,
    );
    await sendCommand(t, 'models');
    const answer = await nextResponse(t, 0);
    expect(answer.all).toContain("SageMaker: unavailable (The bot's AWS role is not allowed to call sagemaker:ListModels on models named like fraud-detector.");
    expect(answer.all).toContain('Deployed: *1.4.0*');
    expect(answer.all).toContain('Pending approvals: 1.5.0 (1 of 2)');
  });

  it('models: refuses arguments', async () => {
    await sendCommand(t, 'models fraud-detector');
    expect((await nextResponse(t, 0)).text).toBe('Unexpected argument `fraud-detector`. Usage: `/mlops models` — for example `/mlops models`');
  });

  describe('history', () => {
    beforeAll(async () => {
      const entries: AuditEntry[] = [];
      for (let i = 0; i < 60; i++) {
        entries.push({
          at: new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString(),
          model: 'fraud-detector',
          version: `1.0.${i}`,
          action: i % 2 === 0 ? 'approved' : 'rejected',
          actor: i % 2 === 0 ? 'U0ALICE' : 'U0BOB',
          primaryMetric: { name: 'f1', value: 0.8 + i / 1000 },
          ...(i % 2 === 1 ? { detail: `reason ${i}` } : {}),
        });
      }
      entries.push({
        at: '2026-11-24T10:00:00Z',
        model: 'fraud-detector',
        version: '1.4.0',
        action: 'deployed',
        actor: 'pipeline',
        dagRunId: 'mlops_deploy__c__1',
      });
      for (const e of entries) await t.bot.deps.audit.append(e);
      await t.bot.deps.audit.append({ at: '2026-11-24T11:00:00Z', model: 'churn-predictor', action: 'training_requested', actor: 'U0CAROL' });
    });

    it('shows the last n entries newest first, with metric, decision, who and when', async () => {
      await sendCommand(t, 'history fraud-detector 3');
      const answer = await nextResponse(t, 0);
      expect(answer.responseType).toBe('ephemeral');
      const section = firstSection(t.slack.responses[0]?.blocks).text.text.split('\n');
      expect(section).toHaveLength(3);
      expect(section[0]).toMatch(
        /^• <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-11-24T10:00:00Z> · \*1\.4\.0\* · :large_green_circle: deployed by the pipeline · run `mlops_deploy__c__1`$/,
      );
      expect(section[1]).toMatch(/\*1\.0\.59\* · :no_entry_sign: rejected by <@U0BOB> · f1 0\.859 — _reason 59_$/);
      expect(section[2]).toMatch(/\*1\.0\.58\* · :white_check_mark: approved by <@U0ALICE> · f1 0\.858$/);
      expect(answer.all).not.toContain('churn-predictor');
    });

    it('defaults to 10 and allows up to 50', async () => {
      await sendCommand(t, 'history fraud-detector');
      await nextResponse(t, 0);
      expect(firstSection(t.slack.responses[0]?.blocks).text.text.split('\n')).toHaveLength(10);
      await sendCommand(t, 'history fraud-detector 50');
      const all = await nextResponse(t, 1);
      expect(all.all.match(/• <!date/g)).toHaveLength(50);
      expect(all.all).toContain('`/mlops history fraud-detector 50` shows up to 50');
    });

    it('refuses a bad count with the usage, and answers a missing or unknown model in the ack', async () => {
      for (const [i, text] of ['history fraud-detector 51', 'history fraud-detector 0', 'history fraud-detector lots'].entries()) {
        await sendCommand(t, text);
        expect((await nextResponse(t, i)).text).toBe(
          'The count n must be a whole number from 1 to 50. Usage: `/mlops history &lt;model&gt; [n]` — for example `/mlops history fraud-detector 20`',
        );
      }
      const missing = await sendCommand(t, 'history');
      expect(missing.body?.text).toMatch(/^Missing &lt;model&gt;\. Usage: `\/mlops history &lt;model&gt; \[n\]`/);
      const unknown = await sendCommand(t, 'history frud-detector');
      expect(unknown.body?.text).toContain('Did you mean `fraud-detector`?');
    });

    it('says when a model has no history yet', async () => {
      const fresh = await startTestBot({ store: 'memory' });
      try {
        await sendCommand(fresh, 'history churn-predictor');
        expect((await nextResponse(fresh, 0)).text).toMatch(/^No history for churn-predictor yet/);
      } finally {
        await fresh.stop();
      }
    });
  });
});
