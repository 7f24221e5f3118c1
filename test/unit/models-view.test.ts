import { modelsView, type ModelOverview } from '../../views/models-view';
import { blocksText, slackLimitProblems } from './slack-limits-check';

const now = new Date('2026-11-24T12:00:00Z');
const fraud: ModelOverview = {
  model: 'fraud-detector',
  channel: 'C0FRAUD',
  endpoint: 'fraud-detector-prod',
  deployed: { version: '1.4.0', deployedAt: '2026-11-21T12:00:00Z' },
  latestCandidate: { version: '1.5.0', state: 'pending', createdAt: '2026-11-24T10:00:00Z', primaryMetric: { name: 'f1', value: 0.9312 } },
  pending: [{ version: '1.5.0', candidateId: 'c1', approvals: 1, required: 2, channel: 'C0FRAUD', ts: '1.2' }],
  lastFailure: {
    at: '2026-11-24T07:00:00Z',
    type: 'training.failed',
    task: 'train_model',
    message: 'ResourceLimitExceeded <ml.p3>',
    logUrl: 'https://logs.example.com/x',
  },
  sagemaker: { ok: true, latest: { name: 'fraud-detector-1-5-0', createdAt: '2026-11-24T09:00:00Z' } },
};
const churn: ModelOverview = {
  model: 'churn-predictor',
  pending: [],
  sagemaker: { ok: false, reason: "The bot's AWS role is not allowed to call sagemaker:ListModels." },
};

describe('modelsView', () => {
  const view = modelsView({ models: [fraud, churn], now });

  it('shows deployed version, latest candidate and state, pending approvals, last failure and SageMaker per model', () => {
    const text = blocksText(view.blocks);
    expect(text).toContain('*fraud-detector* · <#C0FRAUD> · endpoint `fraud-detector-prod`');
    expect(text).toContain('Deployed: *1.4.0* (3 d ago)');
    expect(text).toContain('Latest candidate: *1.5.0* pending approval (2 h ago) · f1 0.931');
    expect(text).toContain('Pending approvals: 1.5.0 (1 of 2)');
    expect(text).toContain(':x: Last failure (training.failed in train_model) 5 h ago: ResourceLimitExceeded &lt;ml.p3&gt; <https://logs.example.com/x|log>');
    expect(text).toContain('SageMaker: newest model `fraud-detector-1-5-0` (created 3 h ago)');
    expect(text).toContain('Deployed: nothing recorded yet');
    expect(text).toContain('Latest candidate: none');
    expect(text).toContain('SageMaker: unavailable (The bot');
    expect(text).toContain('sagemaker:ListModels');
  });

  it('has fallback text and respects the limits, even with 200 models', () => {
    expect(view.text).toBe('2 models: fraud-detector 1.4.0, 1 pending; churn-predictor (nothing deployed)');
    expect(slackLimitProblems(view)).toEqual([]);
    const many = modelsView({ models: Array.from({ length: 200 }, (_, i) => ({ ...fraud, model: `m${i}`, lastFailure: { message: 'y'.repeat(5000) } })), now });
    expect(slackLimitProblems(many)).toEqual([]);
    expect(blocksText(many.blocks)).toContain('…and 152 more models');
  });

  it('explains an empty configuration', () => {
    expect(modelsView({ models: [], now }).text).toContain('`models:`');
  });

  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});
