import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { candidateMessageView } from '../../views/candidate-message-view';
import { slackLimitProblems } from './slack-limit-checks';

/** The Model Registry lines of the candidate card (contract 10): text from SageMaker is shown, never interpreted. */
const AT = '2026-11-24T18:00:00.000Z';
const base: DeploymentCandidate = {
  id: 'fraud-detector_1.5.0_abc',
  model: 'fraud-detector',
  version: '1.5.0',
  state: 'pending',
  origin: 'evaluation',
  metrics: { f1: 0.93 },
  endpoint: 'fraud-detector-prod',
  requiredApprovals: 1,
  approvals: [],
  attempt: 0,
  createdAt: AT,
  updatedAt: AT,
  rev: 0,
  registry: {
    packageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector-packages/2',
    group: 'fraud-detector-packages',
    packageVersion: 2,
  },
};
const render = (c: DeploymentCandidate) =>
  candidateMessageView({ candidate: c, metricDirections: { f1: 'maximize' }, primaryMetric: 'f1', deploymentDag: 'fraud_detector_deployment' });
const blocksOf = (c: DeploymentCandidate) => JSON.stringify(render(c).blocks);

const HOSTILE_WHO = '<!channel> *boss* <https://evil.example|click>';
const HOSTILE_TEXT = '<!here> `rm -rf` ```fence``` <@U0ALICE>';

describe('candidate card: SageMaker Model Registry lines', () => {
  it('pending: says Deploy / Reject set the status there too', () => {
    expect(blocksOf(base)).toContain('SageMaker Model Registry package fraud-detector-packages v2: Deploy or Reject here sets its approval status there too.');
  });

  it('approved or rejected in SageMaker: who and what, escaped (no mention, link or markup gets through)', () => {
    const approved = blocksOf({
      ...base,
      state: 'deploying',
      decidedAt: AT,
      registry: { ...base.registry!, external: { status: 'Approved', by: HOSTILE_WHO, at: AT, description: HOSTILE_TEXT, applied: true } },
    });
    expect(approved).toContain('approved in SageMaker by &lt;!channel&gt;');
    const rejected = blocksOf({
      ...base,
      state: 'rejected',
      decidedAt: AT,
      rejectReason: HOSTILE_TEXT,
      registry: { ...base.registry!, external: { status: 'Rejected', by: HOSTILE_WHO, at: AT, description: HOSTILE_TEXT, applied: true } },
    });
    expect(rejected).toContain('Rejected in SageMaker by &lt;!channel&gt;');
    for (const text of [approved, rejected]) {
      expect(text).not.toMatch(/<!channel>|<!here>|<https:\/\/evil|<@U0ALICE>/);
    }
  });

  it('a conflict shows both sides; a failed write shows the attempts and the error; a write due says so', () => {
    const conflict = blocksOf({
      ...base,
      state: 'rejected',
      decidedBy: 'U0ALICE',
      decidedAt: AT,
      registry: { ...base.registry!, external: { status: 'Approved', by: HOSTILE_WHO, at: AT, description: HOSTILE_TEXT, applied: false } },
    });
    expect(conflict).toContain('Conflict: rejected in Slack by <@U0ALICE>; SageMaker says *Approved* by &lt;!channel&gt;');
    expect(conflict).not.toMatch(/<!channel>|<!here>/);
    const failed = blocksOf({
      ...base,
      state: 'rejected',
      decidedBy: 'U0ALICE',
      registry: { ...base.registry!, syncFailure: { status: 'Rejected', message: 'AWS did not answer <!here>', at: AT, attempts: 3 } },
    });
    expect(failed).toContain('does not show Rejected yet: UpdateModelPackage failed (3 attempts');
    expect(failed).not.toContain('<!here>');
    expect(blocksOf({ ...base, state: 'rejected', decidedBy: 'U0ALICE' })).toContain('Setting Rejected in the SageMaker Model Registry');
  });

  it('stays within Slack’s limits with the longest foreign text', () => {
    const long = 'x'.repeat(5000);
    const message = render({
      ...base,
      state: 'rejected',
      decidedBy: 'U0ALICE',
      rejectReason: long,
      registry: {
        ...base.registry!,
        external: { status: 'Approved', by: long, at: AT, description: long, applied: false },
        syncFailure: { status: 'Rejected', message: long, at: AT, attempts: 1 },
      },
    });
    expect(slackLimitProblems(message)).toEqual([]);
  });
});
