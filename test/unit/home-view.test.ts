import { homeView, type HomeViewInput } from '../../views/home-view';
import type { ModelOverview } from '../../views/models-view';
import { blocksText, slackLimitProblems } from './slack-limits-check';

const now = new Date('2026-11-24T12:00:00Z');
const fraud: ModelOverview = {
  model: 'fraud-detector',
  channel: 'C0FRAUD',
  endpoint: 'fraud-detector-prod',
  deployed: { version: '1.4.0', deployedAt: '2026-11-21T12:00:00Z' },
  latestCandidate: { version: '1.5.0', state: 'pending' },
  pending: [{ version: '1.5.0', candidateId: 'c1', approvals: 0, required: 1, channel: 'C0FRAUD' }],
  lastFailure: { at: '2026-11-24T11:00:00Z', type: 'deployment.failed', message: 'endpoint update failed' },
};
const churn: ModelOverview = { model: 'churn-predictor', pending: [], lastFailure: { at: '2026-11-24T08:00:00Z', message: 'OOM' } };
const input: HomeViewInput = {
  now,
  windowMinutes: 60,
  models: [fraud, churn],
  endpoints: [
    {
      endpoint: 'fraud-detector-prod',
      model: 'fraud-detector',
      status: 'InService',
      deployedVersion: '1.4.0',
      invocations: 100,
      p99Ms: 40,
      errors4xx: 0,
      errors5xx: 1,
    },
    { endpoint: 'churn-predictor-prod', model: 'churn-predictor', problem: 'throttled' },
  ],
  recent: [{ at: '2026-11-24T10:00:00Z', model: 'fraud-detector', version: '1.4.0', action: 'deployed', actor: 'pipeline' }],
};

describe('homeView', () => {
  const view = homeView(input);

  it('has the dashboard sections: models, endpoints, pending approvals, recent failures (newest first), activity', () => {
    const headers = view.blocks.filter((b) => b.type === 'header').map((b) => (b as { text: { text: string } }).text.text);
    expect(headers).toEqual(['MLOps dashboard', 'Models (2)', 'Endpoints', 'Pending approvals', 'Recent failures', 'Recent activity']);
    const text = blocksText(view.blocks);
    expect(text).toContain('*fraud-detector* 1.5.0: 0 of 1 approval · <#C0FRAUD>');
    expect(text).toContain('InService · version 1.4.0 · 100 calls/h · p99 40 ms');
    expect(text).toContain('*churn-predictor-prod* (churn-predictor) · unavailable: throttled');
    expect(text).toMatch(/\*fraud-detector\* deployment.failed 1 h ago: endpoint update failed.*\*churn-predictor\* 4 h ago: OOM/);
    expect(text).toContain('*fraud-detector* · *1.4.0* · :large_green_circle: deployed by the pipeline');
    expect(view.text).toBe('MLOps dashboard: 2 models (1 deployed), 2 endpoints, 1 pending approvals, 2 recent failures');
    expect(slackLimitProblems(view, 100)).toEqual([]);
  });

  it('says what is empty when nothing is configured', () => {
    const empty = homeView({ now, windowMinutes: 60, models: [], endpoints: [], recent: [] });
    const text = blocksText(empty.blocks);
    expect(text).toContain('No models configured yet');
    expect(text).toContain('Nothing is waiting for approval.');
    expect(text).toContain('No failures recorded.');
    expect(slackLimitProblems(empty, 100)).toEqual([]);
  });

  it('never exceeds 100 blocks, however many models, endpoints and pending candidates', () => {
    const models = Array.from(
      { length: 300 },
      (_, i) =>
        ({ ...fraud, model: `model-${i}`, pending: Array.from({ length: 5 }, (_, j) => ({ ...fraud.pending[0], version: `1.${j}.0` })) }) as ModelOverview,
    );
    const big = homeView({
      ...input,
      models,
      endpoints: Array.from(
        { length: 300 },
        (_, i) => ({ ...input.endpoints[0], endpoint: `ep-${i}-${'x'.repeat(50)}` }) as HomeViewInput['endpoints'][number],
      ),
    });
    expect(big.blocks.length).toBeLessThanOrEqual(100);
    expect(slackLimitProblems(big, 100)).toEqual([]);
    expect(blocksText(big.blocks)).toMatch(/…and \d+ more; `\/mlops models` lists them all/);
    expect(blocksText(big.blocks)).toContain('…and 1475 more pending');
  });

  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});
