import {
  confirmingNotice,
  deployConfirmingReplyView,
  endpointConfirmingBusyView,
  endpointMismatchNotice,
  endpointMismatchReplyView,
  trainingConfirmingView,
} from '../../views/trigger-confirming-view';
import { rejectedVersionView } from '../../views/rejected-version-view';

const input = {
  model: 'fraud-detector',
  version: '1.4.0',
  endpoint: 'fraud-detector-prod',
  dagRunId: 'mlops_deploy__fraud-detector_1.4.0_abc__1',
  reason: 'AWS did not answer lambda:InvokeFunction in time.',
  approvedBy: ['U0ALICE'],
};

describe('trigger confirming views (pure)', () => {
  it('the clicking approver, another approver on the reserved endpoint, the card notice', () => {
    expect(deployConfirmingReplyView(input)).toMatchSnapshot();
    expect(endpointConfirmingBusyView(input)).toMatchSnapshot();
    expect(confirmingNotice({ ...input, checks: 0 })).toMatchSnapshot();
    expect(confirmingNotice({ ...input, checks: 3 })).toContain('asked 3 times so far');
  });

  it('an endpoint mismatch: notice and reply', () => {
    const m = { candidate: { model: 'fraud-detector', version: '1.4.0' }, named: 'churn-predictor-prod', configured: 'fraud-detector-prod' };
    expect(endpointMismatchNotice(m)).toMatchSnapshot();
    expect(endpointMismatchReplyView(m)).toMatchSnapshot();
  });

  it('training in doubt, confirmed, re-triggered', () => {
    for (const outcome of ['confirming', 'confirmed', 'retriggered'] as const) {
      expect(
        trainingConfirmingView({ model: 'fraud-detector', dagId: 'fraud_detector_training', runId: 'mlops_train__x', reason: 'timeout', outcome }),
      ).toMatchSnapshot(outcome);
    }
  });

  it('outside text (an error message from the trigger) is shown, never interpreted', () => {
    const view = deployConfirmingReplyView({ ...input, reason: '<!channel> <https://evil.example|Re-authenticate>' });
    expect(view.text).not.toContain('<!channel>');
    expect(view.text).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(view.blocks)).not.toContain('<https://evil');
  });

  it('a rejected version refused by /mlops deploy: who, when, why (escaped); a non-user id is not a mention', () => {
    expect(
      rejectedVersionView({ model: 'fraud-detector', version: '1.4.0', rejectedBy: 'U0BOB', rejectedAt: '2026-11-24T10:05:00.000Z', reason: 'recall dropped' }),
    ).toMatchSnapshot();
    expect(rejectedVersionView({ model: 'fraud-detector', version: '1.4.0', rejectedBy: '!channel' }).text).toContain(
      'rejected by an approver (no reason given)',
    );
  });
});
