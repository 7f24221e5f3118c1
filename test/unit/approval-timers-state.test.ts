import { candidateIdFor } from '../../src/core/candidate';
import {
  approvalTimerDue,
  expire,
  markDeployed,
  markDeployFailed,
  remind,
  type ApprovalTimerPolicy,
  type DeploymentCandidate,
} from '../../src/core/candidate-state-machine';

const T0 = Date.parse('2026-12-01T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const policy: ApprovalTimerPolicy = { remindAfterMs: 240 * MIN, expireAfterMs: 168 * HOUR };

function candidate(overrides: Partial<DeploymentCandidate> = {}): DeploymentCandidate {
  const at = new Date(T0).toISOString();
  return {
    id: candidateIdFor('fraud-detector', '1.4.0', 'x'),
    model: 'fraud-detector',
    version: '1.4.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: {},
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: at,
    updatedAt: at,
    rev: 0,
    ...overrides,
  };
}
const at = (ms: number) => new Date(T0 + ms);

describe('approval timers in the candidate state machine', () => {
  test('due: nothing before remindAfter, remind from it, once; expire from expireAfter (and it wins over a reminder not sent)', () => {
    expect(approvalTimerDue(candidate(), at(240 * MIN - 1), policy)).toBeUndefined();
    expect(approvalTimerDue(candidate(), at(240 * MIN), policy)).toBe('remind');
    expect(approvalTimerDue(candidate({ remindedAt: at(240 * MIN).toISOString() }), at(5 * HOUR), policy)).toBeUndefined();
    expect(approvalTimerDue(candidate({ remindedAt: at(240 * MIN).toISOString() }), at(168 * HOUR), policy)).toBe('expire');
    expect(approvalTimerDue(candidate(), at(168 * HOUR), policy)).toBe('expire');
  });

  test('only pending candidates have timers', () => {
    for (const state of ['approved', 'deploying', 'deployed', 'deploy_failed', 'rejected', 'superseded', 'expired'] as const) {
      expect(approvalTimerDue(candidate({ state }), at(1000 * HOUR), policy)).toBeUndefined();
    }
  });

  test('unset timers never fire', () => {
    expect(approvalTimerDue(candidate(), at(10_000 * HOUR), {})).toBeUndefined();
    expect(approvalTimerDue(candidate(), at(10_000 * HOUR), { remindAfterMs: MIN })).toBe('remind');
    expect(remind(candidate(), { now: at(HOUR), policy: {} })).toEqual({ ok: false, refusal: { code: 'not_due' } });
    expect(expire(candidate(), { now: at(10_000 * HOUR), policy: { remindAfterMs: MIN } })).toEqual({ ok: false, refusal: { code: 'not_due' } });
  });

  test('remind: claims once, refuses early, twice, or off pending (typed refusals)', () => {
    const early = remind(candidate(), { now: at(HOUR), policy });
    expect(early).toEqual({ ok: false, refusal: { code: 'not_due', dueAt: at(240 * MIN).toISOString() } });
    const done = remind(candidate(), { now: at(5 * HOUR), policy });
    if (!done.ok) throw new Error('expected a reminder');
    expect(done.next).toMatchObject({ state: 'pending', remindedAt: at(5 * HOUR).toISOString(), updatedAt: at(5 * HOUR).toISOString() });
    expect(remind(done.next, { now: at(6 * HOUR), policy })).toEqual({ ok: false, refusal: { code: 'already_reminded', at: at(5 * HOUR).toISOString() } });
    expect(remind(candidate({ state: 'superseded' }), { now: at(5 * HOUR), policy })).toEqual({
      ok: false,
      refusal: { code: 'state_conflict', state: 'superseded' },
    });
  });

  test('expire: pending → expired at expireAfter, approvals kept; refused early or off pending', () => {
    const approvals = [{ userId: 'U0ALICE', at: at(HOUR).toISOString() }];
    expect(expire(candidate({ approvals }), { now: at(168 * HOUR - 1), policy })).toMatchObject({ ok: false, refusal: { code: 'not_due' } });
    const done = expire(candidate({ approvals, requiredApprovals: 2 }), { now: at(168 * HOUR), policy });
    if (!done.ok) throw new Error('expected expiry');
    expect(done.next).toMatchObject({ state: 'expired', expiredAt: at(168 * HOUR).toISOString(), approvals });
    expect(expire(done.next, { now: at(200 * HOUR), policy })).toEqual({ ok: false, refusal: { code: 'state_conflict', state: 'expired' } });
    expect(expire(candidate({ state: 'deploying' }), { now: at(200 * HOUR), policy })).toEqual({
      ok: false,
      refusal: { code: 'state_conflict', state: 'deploying' },
    });
  });

  test('pipeline facts still land on an expired candidate whose unclear trigger did start a run', () => {
    const expired = candidate({ state: 'expired', attempt: 1, reuseRunId: true });
    expect(markDeployed(expired, { at: at(200 * HOUR).toISOString() })).toMatchObject({ ok: true, outcome: 'deployed' });
    expect(markDeployFailed(expired, { at: at(200 * HOUR).toISOString(), reason: 'x' })).toMatchObject({ ok: true, outcome: 'deploy_failed' });
    // Never requested: a failure report is not about it.
    expect(markDeployFailed(candidate({ state: 'expired' }), { at: at(200 * HOUR).toISOString(), reason: 'x' })).toMatchObject({ ok: false });
  });
});
