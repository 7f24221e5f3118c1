import fc from 'fast-check';
import { candidateIdFor, CANDIDATE_STATES, type Candidate } from '../../src/core/candidate';
import type { ProductionRecord } from '../../src/core/production-record';
import { ActionId } from '../../src/slack/slack-ids';
import { CANDIDATE_ACTIONS_BLOCK, candidateMessageView, type CandidateMessageInput } from '../../views/candidate-message-view';
import type { SlackMessage } from '../../views/slack-message';
import { slackLimitProblems } from './slack-limit-checks';

const candidate: Candidate = {
  id: candidateIdFor('fraud-detector', '1.4.0', 'event-1'),
  model: 'fraud-detector',
  version: '1.4.0',
  state: 'pending',
  origin: 'evaluation',
  metrics: { f1: 0.91, precision: 0.93, recall: 0.89, mse: 0.041 },
  confusionMatrix: {
    labels: ['benign', 'malicious'],
    matrix: [
      [950, 12],
      [9, 29],
    ],
  },
  endpoint: 'fraud-detector-prod',
  trainingJob: 'fraud-detector-1-4-0-2026-11-24-09-12-03',
  run: { dagId: 'fraud_detector_training', runId: 'manual__1', url: 'https://mwaa.example.com/dags/fraud_detector_training/grid' },
  lineage: { commit: '3f2a9c1', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops/fraud-detector:1.4.0', data: 's3://acme-ml-data/fraud/train/' },
  links: { dashboard: 'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=fraud-detector' },
  evaluatedAt: '2026-11-24T10:00:00Z',
  sourceEventId: 'event-1',
  requiredApprovals: 1,
  approvals: [],
  attempt: 0,
  createdAt: '2026-11-24T10:00:05Z',
  updatedAt: '2026-11-24T10:00:05Z',
  rev: 0,
};
const production: ProductionRecord = {
  model: 'fraud-detector',
  version: '1.3.0',
  metrics: { f1: 0.88, precision: 0.9, recall: 0.89, mse: 0.05 },
  deployedAt: '2026-11-20T14:30:00Z',
};
const input: CandidateMessageInput = {
  candidate,
  production,
  metricDirections: { f1: 'maximize', precision: 'maximize', recall: 'maximize', mse: 'minimize' },
  primaryMetric: 'f1',
  deploymentDag: 'fraud_detector_deployment',
};

interface Button {
  action_id: string;
  value: string;
  style?: string;
  text: { text: string };
  confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string } };
}
const buttons = (m: SlackMessage): Button[] =>
  (m.blocks.find((b) => b.type === 'actions') as { block_id?: string; elements: Button[] } | undefined)?.elements ?? [];
const sectionTexts = (m: SlackMessage) =>
  m.blocks.flatMap((b) => ((b as { text?: { text: string } }).text !== undefined ? [(b as { text: { text: string } }).text.text] : []));
const all = (m: SlackMessage) => JSON.stringify(m);

describe('candidate-message-view', () => {
  it('shows the evaluation: model, version, job, when, verdict on the primary metric, every metric against production with deltas and marks', () => {
    const m = candidateMessageView(input);
    expect(slackLimitProblems(m)).toEqual([]);
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'fraud-detector 1.4.0 evaluated', emoji: true } });
    expect(m.text).toBe('fraud-detector 1.4.0 evaluated: better than 1.3.0 in production: F1 0.91 vs 0.88. Waiting for a decision');
    expect(sectionTexts(m)).toContain(':large_green_circle: better than 1.3.0 in production: F1 0.91 vs 0.88');
    const table = sectionTexts(m).find((t) => t.startsWith('*Metrics*')) ?? '';
    expect(table.split('\n').slice(1)).toEqual([
      '```metric     candidate  1.3.0   delta',
      'F1              0.91   0.88   +0.03  ▲ better',
      'precision       0.93    0.9   +0.03  ▲ better',
      'recall          0.89   0.89      ±0    = same',
      'MSE            0.041   0.05  −0.009  ▲ better```',
    ]);
    expect(all(m)).toContain('*Training job*\\n`fraud-detector-1-4-0-2026-11-24-09-12-03`');
    expect(all(m)).toContain('<!date^1795514400^');
  });

  it('draws the confusion matrix as an aligned table with its labels', () => {
    const matrix = sectionTexts(candidateMessageView(input)).find((t) => t.startsWith('*Confusion matrix*')) ?? '';
    expect(matrix.split('\n').slice(1)).toEqual([
      '```actual \\ predicted  benign  malicious',
      'benign                 950         12',
      'malicious                9         29```',
    ]);
  });

  it('carries lineage and links, each link whole', () => {
    const context = JSON.stringify(candidateMessageView(input).blocks.find((b) => b.type === 'context'));
    expect(context).toContain('commit `3f2a9c1`');
    expect(context).toContain('data `s3://acme-ml-data/fraud/train/`');
    expect(context).toContain('<https://mwaa.example.com/dags/fraud_detector_training/grid|run>');
    expect(context).toContain('|dashboard>');
  });

  it('offers Deploy (primary, with a confirm dialog naming the DAG) and Reject, whose values are the candidate id', () => {
    const m = candidateMessageView(input);
    const actions = m.blocks.find((b) => b.type === 'actions') as { block_id: string };
    expect(actions.block_id).toBe(CANDIDATE_ACTIONS_BLOCK);
    const [deploy, reject] = buttons(m);
    expect(deploy).toMatchObject({ action_id: ActionId.Deploy, style: 'primary', value: candidate.id, text: { text: 'Deploy' } });
    expect(deploy?.confirm?.title.text).toBe('Deploy 1.4.0?');
    expect(deploy?.confirm?.text.text).toBe('Deploy fraud-detector 1.4.0 to fraud-detector-prod? This triggers `fraud_detector_deployment`.');
    expect(deploy?.confirm?.confirm.text).toBe('Deploy');
    expect(deploy?.confirm?.deny.text).toBe('Not now');
    expect(reject).toMatchObject({ action_id: ActionId.Reject, style: 'danger', value: candidate.id });
    // The value parses back to the candidate: model, version and source digest.
    expect(reject?.value).toMatch(/^fraud-detector_1\.4\.0_[0-9a-f]{10}$/);
    expect(reject?.value).toBe(candidateIdFor('fraud-detector', '1.4.0', 'event-1'));
  });

  it('says when there is nothing in production to compare with, without production columns', () => {
    const m = candidateMessageView({ ...input, production: undefined });
    expect(m.text).toContain('no version in production yet');
    expect(
      sectionTexts(m)
        .find((t) => t.startsWith('*Metrics*'))
        ?.split('\n')[1],
    ).toBe('```metric     candidate');
  });

  it('shows approvals in progress, then every decided state without Deploy/Reject', () => {
    const partly = candidateMessageView({
      ...input,
      candidate: { ...candidate, requiredApprovals: 2, approvals: [{ userId: 'U0ALICE', at: '2026-11-24T10:05:00Z' }] },
    });
    expect(all(partly)).toContain('1 of 2 approvals: <@U0ALICE>');
    expect(buttons(partly)[0]?.text.text).toBe('Approve');
    for (const state of CANDIDATE_STATES.filter((s) => s !== 'pending')) {
      const decided = candidateMessageView({
        ...input,
        candidate: {
          ...candidate,
          state,
          approvals: [{ userId: 'U0ALICE', at: '2026-11-24T10:05:00Z' }],
          decidedBy: 'U0BOB',
          decidedAt: '2026-11-24T10:06:00Z',
          rejectReason: 'precision too low',
          failureReason: 'endpoint update failed',
          supersededBy: '1.5.0',
        },
      });
      expect(slackLimitProblems(decided)).toEqual([]);
      expect(buttons(decided)).toEqual([]);
    }
    const rejected = candidateMessageView({
      ...input,
      candidate: { ...candidate, state: 'rejected', decidedBy: 'U0BOB', decidedAt: '2026-11-24T10:06:00Z', rejectReason: 'precision too low' },
    });
    expect(all(rejected)).toContain('Rejected by <@U0BOB>');
    expect(all(rejected)).toContain('precision too low');
    const failed = candidateMessageView({ ...input, candidate: { ...candidate, state: 'deploy_failed', failureReason: 'boom' }, rollbackTo: '1.3.0' });
    expect(buttons(failed)).toEqual([expect.objectContaining({ action_id: ActionId.Rollback, value: candidate.id, confirm: expect.anything() })]);
  });

  it('offers Cancel instead of Reject on deploy and rollback requests', () => {
    const m = candidateMessageView({ ...input, candidate: { ...candidate, origin: 'rollback-command', requestedBy: 'U0BOB' } });
    expect(m.blocks[0]).toMatchObject({ text: { text: 'Rollback request: fraud-detector 1.4.0 → fraud-detector-prod' } });
    expect(buttons(m).map((b) => b.action_id)).toEqual([ActionId.Deploy, ActionId.CancelDeploy]);
  });

  it('keeps every part within Slack limits at the extremes (hundreds of metrics, a 50-label matrix, long links and reasons, mrkdwn in names)', () => {
    const huge: Candidate = {
      ...candidate,
      model: '&'.repeat(100),
      version: `1.0.0-${'<'.repeat(200)}`,
      metrics: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${'`'.repeat(90)}&<>${i}`, i * 1e17])),
      confusionMatrix: {
        labels: Array.from({ length: 50 }, (_, i) => `${'&'.repeat(98)}${i}`),
        matrix: Array.from({ length: 50 }, () => Array.from({ length: 50 }, () => 123456789.123)),
      },
      trainingJob: '`'.repeat(200),
      endpoint: '&'.repeat(63),
      run: { runId: 'r', url: `https://example.com/${'x'.repeat(1990)}` },
      lineage: { commit: '&'.repeat(100), image: '```'.repeat(160), data: '<'.repeat(1000) },
      links: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${'&'.repeat(100)}${i}`, `https://example.com/${'y'.repeat(1990)}`])),
      requiredApprovals: 10,
      approvals: Array.from({ length: 9 }, (_, i) => ({ userId: `U0USER${i}`, at: '2026-11-24T10:05:00Z' })),
      rejectReason: '&'.repeat(3000),
      failureReason: '&'.repeat(200_000),
      supersededBy: '&'.repeat(500),
    };
    for (const state of CANDIDATE_STATES) {
      const m = candidateMessageView({
        candidate: { ...huge, state },
        production: { ...production, version: '>'.repeat(100), metrics: Object.fromEntries(Object.keys(huge.metrics).map((k) => [k, -1e-9])) },
        metricDirections: Object.fromEntries(
          Object.keys(huge.metrics)
            .slice(0, 250)
            .map((k) => [k, 'maximize' as const]),
        ),
        primaryMetric: Object.keys(huge.metrics)[0],
        deploymentDag: '`'.repeat(250),
        notice: '&'.repeat(5000),
        rollbackTo: '<'.repeat(300),
      });
      expect({ state, problems: slackLimitProblems(m) }).toEqual({ state, problems: [] });
    }
  });

  it('stays within Slack limits for arbitrary metric names, values and labels', () => {
    const name = fc.string({ unit: fc.constantFrom('&', '<', '>', '`', '*', 'a', '😀', ' '), minLength: 1, maxLength: 100 });
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.double({ noNaN: true, noDefaultInfinity: true }), { minKeys: 1, maxKeys: 80 }),
        fc.array(name, { minLength: 1, maxLength: 20 }),
        (metrics, labels) => {
          const m = candidateMessageView({
            ...input,
            candidate: { ...candidate, metrics, confusionMatrix: { labels, matrix: labels.map(() => labels.map((_, j) => j * 1e6)) } },
            production: { ...production, metrics },
          });
          return slackLimitProblems(m).length === 0;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('matches its snapshot', () => {
    expect(candidateMessageView(input)).toMatchSnapshot();
  });
});
