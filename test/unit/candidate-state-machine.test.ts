import { deploymentRunIdFor, CANDIDATE_STATES, type CandidateState } from '../../src/core/candidate';
import {
  approve,
  approverIds,
  attachMessage,
  candidateIdOfRunId,
  commandCandidate,
  confirmTrigger,
  deploymentConf,
  doubtTrigger,
  failTrigger,
  holdsEndpoint,
  isConfirming,
  isDefinitiveTriggerFailure,
  noteDoubtCheck,
  markDeployed,
  markDeployFailed,
  recoveryActionFor,
  reject,
  releaseApproval,
  requestRollback,
  startDeployment,
  supersede,
  type Decision,
  type DeploymentCandidate,
} from '../../src/core/candidate-state-machine';
import { compareVersions } from '../../src/core/compare-versions';
import { ErrorCode } from '../../src/core/errors';

const T0 = '2026-11-24T10:00:00.000Z';
const T1 = '2026-11-24T10:01:00.000Z';
const T2 = '2026-11-24T10:02:00.000Z';

function candidate(overrides: Partial<DeploymentCandidate> = {}): DeploymentCandidate {
  return {
    id: 'fraud-detector_1.4.0_abc',
    model: 'fraud-detector',
    version: '1.4.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.91 },
    endpoint: 'fraud-detector-prod',
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: T0,
    updatedAt: T0,
    rev: 0,
    ...overrides,
  };
}

function next<O extends string>(d: Decision<O>): DeploymentCandidate {
  if (!d.ok || d.next === undefined) throw new Error(`expected a write, got ${JSON.stringify(d)}`);
  return d.next;
}

const approveAs = (userId: string, c: DeploymentCandidate, forbidSelfApproval = true, at = T1) => approve(c, { userId, at, forbidSelfApproval });
const otherStates = (...allowed: CandidateState[]) => CANDIDATE_STATES.filter((s) => !allowed.includes(s));

describe('candidate state machine', () => {
  describe('approve', () => {
    it('one approval of one required: pending → approved, decided by the approver', () => {
      const d = approveAs('U0ALICE', candidate());
      expect(d).toMatchObject({ ok: true, outcome: 'complete' });
      const c = next(d);
      expect(c).toMatchObject({ state: 'approved', decidedBy: 'U0ALICE', decidedAt: T1, updatedAt: T1 });
      expect(c.approvals).toEqual([{ userId: 'U0ALICE', at: T1 }]);
    });

    it('two-person rule: the first approval is recorded and the candidate stays pending', () => {
      const first = approveAs('U0ALICE', candidate({ requiredApprovals: 2 }));
      expect(first).toMatchObject({ ok: true, outcome: 'recorded' });
      const c1 = next(first);
      expect(c1.state).toBe('pending');
      expect(approverIds(c1)).toEqual(['U0ALICE']);
      const second = approveAs('U0BOB', c1, true, T2);
      expect(second).toMatchObject({ ok: true, outcome: 'complete' });
      expect(next(second)).toMatchObject({ state: 'approved', decidedBy: 'U0BOB' });
      expect(approverIds(next(second))).toEqual(['U0ALICE', 'U0BOB']);
    });

    it('the same person twice counts once: refused as already_approved, nothing written', () => {
      const c1 = next(approveAs('U0ALICE', candidate({ requiredApprovals: 2 })));
      const again = approveAs('U0ALICE', c1);
      expect(again).toEqual({ ok: false, refusal: { code: 'already_approved', approvals: 1, required: 2 } });
    });

    it('three of three needs three distinct people', () => {
      let c = candidate({ requiredApprovals: 3 });
      c = next(approveAs('U1', c));
      c = next(approveAs('U2', c));
      expect(approveAs('U2', c)).toMatchObject({ ok: false, refusal: { code: 'already_approved', approvals: 2, required: 3 } });
      expect(approveAs('U3', c)).toMatchObject({ ok: true, outcome: 'complete' });
    });

    it('self-approval is refused when forbidden, allowed when the flag is off', () => {
      const c = candidate({ startedBy: 'U0ALICE' });
      expect(approveAs('U0ALICE', c)).toEqual({ ok: false, refusal: { code: 'self_approval' } });
      expect(approveAs('U0ALICE', c, false)).toMatchObject({ ok: true, outcome: 'complete' });
      expect(approveAs('U0BOB', c)).toMatchObject({ ok: true, outcome: 'complete' });
    });

    it.each(otherStates('pending'))('refuses approvals in state %s (state_conflict)', (state) => {
      expect(approveAs('U0ALICE', candidate({ state }))).toEqual({ ok: false, refusal: { code: 'state_conflict', state } });
    });

    it('after a trigger failure the kept approvals let any approver (even the same) retry at once', () => {
      const c = candidate({ approvals: [{ userId: 'U0ALICE', at: T0 }], attempt: 1, lastTriggerError: { code: 'x', message: 'y', at: T0 } });
      expect(approveAs('U0ALICE', c)).toMatchObject({ ok: true, outcome: 'complete' });
      expect(next(approveAs('U0ALICE', c)).approvals).toHaveLength(1);
      expect(next(approveAs('U0BOB', c)).approvals).toHaveLength(2);
    });

    it('the self-approval rule applies to a retry too', () => {
      const c = candidate({ startedBy: 'U0ALICE', approvals: [{ userId: 'U0BOB', at: T0 }], attempt: 1 });
      expect(approveAs('U0ALICE', c)).toEqual({ ok: false, refusal: { code: 'self_approval' } });
    });
  });

  describe('startDeployment', () => {
    it('approved → deploying with attempt 1 and its deterministic dag_run_id', () => {
      const c = next(startDeployment(candidate({ state: 'approved' }), { at: T2 }));
      expect(c).toMatchObject({ state: 'deploying', attempt: 1, dagRunId: deploymentRunIdFor('fraud-detector_1.4.0_abc', 1), updatedAt: T2 });
      expect(c.triggerConfirmedAt).toBeUndefined();
    });

    it('a new attempt after a definitive failure gets a new dag_run_id', () => {
      const c = next(startDeployment(candidate({ state: 'approved', attempt: 1, dagRunId: deploymentRunIdFor('fraud-detector_1.4.0_abc', 1) }), { at: T2 }));
      expect(c.attempt).toBe(2);
      expect(c.dagRunId).toBe(deploymentRunIdFor('fraud-detector_1.4.0_abc', 2));
    });

    it('after an ambiguous failure the retry reuses the same attempt and dag_run_id', () => {
      const runId = deploymentRunIdFor('fraud-detector_1.4.0_abc', 1);
      const c = next(
        startDeployment(
          candidate({ state: 'approved', attempt: 1, dagRunId: runId, reuseRunId: true, lastTriggerError: { code: 'x', message: 'y', at: T0 } }),
          { at: T2 },
        ),
      );
      expect(c).toMatchObject({ attempt: 1, dagRunId: runId });
      expect(c.reuseRunId).toBeUndefined();
      expect(c.lastTriggerError).toBeUndefined();
    });

    it.each(otherStates('approved'))('refuses from %s', (state) => {
      expect(startDeployment(candidate({ state }), { at: T2 })).toEqual({ ok: false, refusal: { code: 'state_conflict', state } });
    });
  });

  describe('releaseApproval (endpoint busy)', () => {
    it('approved → pending, keeping the approvals', () => {
      const approved = next(approveAs('U0ALICE', candidate()));
      const c = next(releaseApproval(approved, { at: T2 }));
      expect(c.state).toBe('pending');
      expect(approverIds(c)).toEqual(['U0ALICE']);
    });
    it.each(otherStates('approved'))('refuses from %s', (state) => {
      expect(releaseApproval(candidate({ state }), { at: T2 })).toMatchObject({ ok: false, refusal: { code: 'state_conflict' } });
    });
  });

  describe('trigger confirmation and failure', () => {
    const runId = deploymentRunIdFor('fraud-detector_1.4.0_abc', 1);
    const deploying = () => candidate({ state: 'deploying', attempt: 1, dagRunId: runId, approvals: [{ userId: 'U0ALICE', at: T0 }] });

    it('confirmTrigger marks the run confirmed once; a repeat changes nothing', () => {
      const c = next(confirmTrigger(deploying(), { dagRunId: runId, at: T2 }));
      expect(c.triggerConfirmedAt).toBe(T2);
      expect(confirmTrigger(c, { dagRunId: runId, at: T2 })).toEqual({ ok: true, outcome: 'already_confirmed' });
    });

    it('confirmTrigger refuses an answer for another attempt, or a candidate no longer deploying', () => {
      expect(confirmTrigger(deploying(), { dagRunId: 'other', at: T2 })).toEqual({ ok: false, refusal: { code: 'stale_attempt', dagRunId: runId } });
      expect(confirmTrigger({ ...deploying(), state: 'deployed' }, { dagRunId: runId, at: T2 })).toEqual({
        ok: false,
        refusal: { code: 'state_conflict', state: 'deployed' },
      });
    });

    it('a definitive failure returns to pending with the error, approvals kept, next attempt new', () => {
      const c = next(failTrigger(deploying(), { dagRunId: runId, at: T2, error: { code: ErrorCode.AwsAccessDenied, message: 'denied' }, definitive: true }));
      expect(c).toMatchObject({
        state: 'pending',
        attempt: 1,
        lastTriggerError: { code: ErrorCode.AwsAccessDenied, message: 'denied', at: T2, dagRunId: runId },
      });
      expect(c.reuseRunId).toBeUndefined();
      expect(approverIds(c)).toEqual(['U0ALICE']);
      const retried = next(startDeployment(next(approveAs('U0ALICE', c)), { at: T2 }));
      expect(retried.dagRunId).toBe(deploymentRunIdFor('fraud-detector_1.4.0_abc', 2));
    });

    it('an ambiguous failure returns to pending and the retry reuses the dag_run_id', () => {
      const c = next(failTrigger(deploying(), { dagRunId: runId, at: T2, error: { code: ErrorCode.AwsTimeout, message: 'slow' }, definitive: false }));
      expect(c).toMatchObject({ state: 'pending', reuseRunId: true });
      const retried = next(startDeployment(next(approveAs('U0BOB', c)), { at: T2 }));
      expect(retried.dagRunId).toBe(runId);
    });

    it('failTrigger refuses a stale attempt, a confirmed run, and other states', () => {
      expect(failTrigger(deploying(), { dagRunId: 'old', at: T2, error: { code: 'x', message: 'y' }, definitive: true })).toMatchObject({
        ok: false,
        refusal: { code: 'stale_attempt' },
      });
      expect(
        failTrigger({ ...deploying(), triggerConfirmedAt: T1 }, { dagRunId: runId, at: T2, error: { code: 'x', message: 'y' }, definitive: true }),
      ).toMatchObject({
        ok: false,
        refusal: { code: 'state_conflict' },
      });
      expect(
        failTrigger({ ...deploying(), state: 'deployed' }, { dagRunId: runId, at: T2, error: { code: 'x', message: 'y' }, definitive: true }),
      ).toMatchObject({
        ok: false,
        refusal: { code: 'state_conflict', state: 'deployed' },
      });
    });

    it('classifies trigger errors: refusals are definitive, everything unclear is not', () => {
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsAccessDenied)).toBe(true);
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsThrottled)).toBe(true);
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsNotFound)).toBe(true);
      expect(isDefinitiveTriggerFailure(ErrorCode.TriggerFailed, { statusCode: 400 })).toBe(true);
      expect(isDefinitiveTriggerFailure(ErrorCode.TriggerFailed, { airflowStatus: 404 })).toBe(true);
      expect(isDefinitiveTriggerFailure(ErrorCode.TriggerFailed, { statusCode: 500 })).toBe(false);
      expect(isDefinitiveTriggerFailure(ErrorCode.TriggerFailed, { functionError: 'Unhandled' })).toBe(false);
      expect(isDefinitiveTriggerFailure(ErrorCode.TriggerFailed, {})).toBe(false);
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsTimeout)).toBe(false);
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsFailed)).toBe(false);
      // A refusal after an earlier attempt that may have reached the function (issue 10).
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsThrottled, { outcomeUnknown: true })).toBe(false);
      expect(isDefinitiveTriggerFailure(ErrorCode.AwsAccessDenied, { outcomeUnknown: true })).toBe(false);
    });
  });

  describe('trigger in doubt ("confirming", issue 10)', () => {
    const runId = deploymentRunIdFor('fraud-detector_1.4.0_abc', 1);
    const deploying = () => candidate({ state: 'deploying', attempt: 1, dagRunId: runId, approvals: [{ userId: 'U0ALICE', at: T0 }] });
    const unclear = { code: ErrorCode.AwsTimeout, message: 'AWS did not answer in time' };

    it('an unknown outcome stays deploying (the lock is held), keeps the run id and records the doubt', () => {
      const c = next(doubtTrigger(deploying(), { dagRunId: runId, at: T1, error: unclear }));
      expect(c).toMatchObject({ state: 'deploying', dagRunId: runId, attempt: 1, triggerDoubt: { since: T1, error: unclear, checks: 0 } });
      expect(holdsEndpoint(c)).toBe(true);
      expect(isConfirming(c)).toBe(true);
      expect(c.triggerConfirmedAt).toBeUndefined();
    });

    it('a check that cannot decide is counted; a second doubt (re-trigger) keeps the first since', () => {
      const c = next(doubtTrigger(deploying(), { dagRunId: runId, at: T1, error: unclear }));
      const checked = next(noteDoubtCheck(c, { dagRunId: runId, at: T2 }));
      expect(checked.triggerDoubt).toMatchObject({ since: T1, checks: 1, lastCheckAt: T2 });
      const again = next(doubtTrigger(checked, { dagRunId: runId, at: T2, error: { code: ErrorCode.AwsFailed, message: 'reset' } }));
      expect(again.triggerDoubt).toMatchObject({ since: T1, checks: 1, error: { code: ErrorCode.AwsFailed } });
    });

    it('the run found: confirmTrigger clears the doubt', () => {
      const c = next(confirmTrigger(next(doubtTrigger(deploying(), { dagRunId: runId, at: T1, error: unclear })), { dagRunId: runId, at: T2 }));
      expect(c.triggerConfirmedAt).toBe(T2);
      expect(c.triggerDoubt).toBeUndefined();
      expect(isConfirming(c)).toBe(false);
    });

    it('a definitive refusal of the re-trigger returns to pending and clears the doubt', () => {
      const doubted = next(doubtTrigger(deploying(), { dagRunId: runId, at: T1, error: unclear }));
      const c = next(failTrigger(doubted, { dagRunId: runId, at: T2, error: { code: ErrorCode.AwsAccessDenied, message: 'denied' }, definitive: true }));
      expect(c.state).toBe('pending');
      expect(c.triggerDoubt).toBeUndefined();
    });

    it('refuses a stale attempt, a confirmed run and other states; noteDoubtCheck needs a doubt', () => {
      expect(doubtTrigger(deploying(), { dagRunId: 'old', at: T1, error: unclear })).toMatchObject({ ok: false, refusal: { code: 'stale_attempt' } });
      expect(doubtTrigger({ ...deploying(), triggerConfirmedAt: T0 }, { dagRunId: runId, at: T1, error: unclear })).toMatchObject({
        ok: false,
        refusal: { code: 'state_conflict' },
      });
      for (const state of otherStates('deploying')) {
        expect(doubtTrigger({ ...deploying(), state }, { dagRunId: runId, at: T1, error: unclear })).toMatchObject({
          ok: false,
          refusal: { code: 'state_conflict', state },
        });
      }
      expect(noteDoubtCheck(deploying(), { dagRunId: runId, at: T1 })).toMatchObject({ ok: false, refusal: { code: 'state_conflict' } });
    });

    it('the outcome events clear the doubt (the pipeline reports a fact)', () => {
      const doubted = next(doubtTrigger(deploying(), { dagRunId: runId, at: T1, error: unclear }));
      expect(next(markDeployed(doubted, { at: T2 })).triggerDoubt).toBeUndefined();
      expect(next(markDeployFailed(doubted, { at: T2, reason: 'x' })).triggerDoubt).toBeUndefined();
    });

    it('recovery confirms a doubt at every scan, without waiting for the grace', () => {
      const doubted = next(doubtTrigger(deploying(), { dagRunId: runId, at: T0, error: unclear }));
      expect(recoveryActionFor(doubted, new Date(Date.parse(T0)), 3_600_000)).toBe('confirm');
    });
  });

  describe('reject and cancel', () => {
    it('pending → rejected with who, when and why (trimmed)', () => {
      const c = next(
        reject(candidate({ approvals: [{ userId: 'U0BOB', at: T0 }], requiredApprovals: 2 }), {
          userId: 'U0ALICE',
          at: T2,
          reason: '  recall dropped  ',
          requireReason: true,
        }),
      );
      expect(c).toMatchObject({ state: 'rejected', decidedBy: 'U0ALICE', decidedAt: T2, rejectReason: 'recall dropped' });
    });
    it('a reason is required for a rejection, not for a cancel', () => {
      expect(reject(candidate(), { userId: 'U0ALICE', at: T2, reason: '   ', requireReason: true })).toEqual({
        ok: false,
        refusal: { code: 'reason_required' },
      });
      const cancelled = next(reject(candidate({ origin: 'deploy-command' }), { userId: 'U0ALICE', at: T2, requireReason: false }));
      expect(cancelled.state).toBe('rejected');
      expect(cancelled.rejectReason).toBeUndefined();
    });
    it.each(otherStates('pending'))('refuses from %s: a second submit or a submit after deployment changes nothing', (state) => {
      expect(reject(candidate({ state }), { userId: 'U0ALICE', at: T2, reason: 'no', requireReason: true })).toEqual({
        ok: false,
        refusal: { code: 'state_conflict', state },
      });
    });
  });

  describe('outcomes', () => {
    it.each(['deploying', 'approved', 'pending', 'deploy_failed'] as const)('markDeployed from %s', (state) => {
      const c = next(markDeployed(candidate({ state, attempt: 1, lastTriggerError: { code: 'x', message: 'y', at: T0 }, reuseRunId: true }), { at: T2 }));
      expect(c).toMatchObject({ state: 'deployed', deployedAt: T2 });
      expect(c.lastTriggerError).toBeUndefined();
      expect(c.reuseRunId).toBeUndefined();
    });
    it('markDeployed is idempotent and refuses rejected or superseded candidates', () => {
      expect(markDeployed(candidate({ state: 'deployed' }), { at: T2 })).toEqual({ ok: true, outcome: 'already_deployed' });
      expect(markDeployed(candidate({ state: 'rejected' }), { at: T2 })).toEqual({ ok: false, refusal: { code: 'state_conflict', state: 'rejected' } });
      expect(markDeployed(candidate({ state: 'superseded' }), { at: T2 })).toEqual({ ok: false, refusal: { code: 'state_conflict', state: 'superseded' } });
    });
    it.each(['deploying', 'approved'] as const)('markDeployFailed from %s keeps the reason', (state) => {
      expect(next(markDeployFailed(candidate({ state, attempt: 1 }), { at: T2, reason: 'update_endpoint: boom' }))).toMatchObject({
        state: 'deploy_failed',
        failureReason: 'update_endpoint: boom',
      });
    });
    it('markDeployFailed from pending only after a requested attempt; idempotent; refused otherwise', () => {
      expect(markDeployFailed(candidate({ state: 'pending', attempt: 1 }), { at: T2, reason: 'x' })).toMatchObject({ ok: true, outcome: 'deploy_failed' });
      expect(markDeployFailed(candidate({ state: 'pending', attempt: 0 }), { at: T2, reason: 'x' })).toMatchObject({
        ok: false,
        refusal: { code: 'state_conflict' },
      });
      expect(markDeployFailed(candidate({ state: 'deploy_failed' }), { at: T2, reason: 'x' })).toEqual({ ok: true, outcome: 'already_failed' });
      for (const state of ['deployed', 'rejected', 'superseded'] as const) {
        expect(markDeployFailed(candidate({ state, attempt: 1 }), { at: T2, reason: 'x' })).toEqual({ ok: false, refusal: { code: 'state_conflict', state } });
      }
    });
    it('supersede: pending only', () => {
      expect(next(supersede(candidate(), { by: '1.5.0', at: T2 }))).toMatchObject({ state: 'superseded', supersededBy: '1.5.0' });
      for (const state of otherStates('pending')) expect(supersede(candidate({ state }), { by: '1.5.0', at: T2 })).toMatchObject({ ok: false });
    });
    it('requestRollback: once, on a failed candidate only', () => {
      const failed = candidate({ state: 'deploy_failed', attempt: 1 });
      const c = next(requestRollback(failed, { candidateId: 'rb', version: '1.3.0', userId: 'U0ALICE', at: T2 }));
      expect(c.rollback).toEqual({ candidateId: 'rb', version: '1.3.0', requestedBy: 'U0ALICE', at: T2 });
      expect(requestRollback(c, { candidateId: 'rb2', version: '1.3.0', userId: 'U0BOB', at: T2 })).toEqual({ ok: true, outcome: 'already_requested' });
      expect(requestRollback(candidate(), { candidateId: 'rb', version: '1.3.0', userId: 'U0ALICE', at: T2 })).toMatchObject({
        ok: false,
        refusal: { code: 'state_conflict' },
      });
    });
  });

  describe('helpers', () => {
    it('holdsEndpoint: approved and deploying only', () => {
      expect(CANDIDATE_STATES.filter((state) => holdsEndpoint({ state }))).toEqual(['approved', 'deploying']);
    });
    it('attachMessage only when unknown', () => {
      expect(next(attachMessage(candidate(), { channel: 'C1', ts: '1.2', at: T1 })).message).toEqual({ channel: 'C1', ts: '1.2' });
      expect(attachMessage(candidate({ message: { channel: 'C0', ts: '0.1' } }), { channel: 'C1', ts: '1.2', at: T1 })).toEqual({
        ok: true,
        outcome: 'unchanged',
      });
    });
    it('candidateIdOfRunId reads the candidate back out of a deployment dag_run_id', () => {
      expect(candidateIdOfRunId(deploymentRunIdFor('fraud-detector_1.4.0_abc', 3))).toBe('fraud-detector_1.4.0_abc');
      expect(candidateIdOfRunId('manual__2026-11-24T10:00:00')).toBeUndefined();
      expect(candidateIdOfRunId(undefined)).toBeUndefined();
    });
    it("deploymentConf takes the configured endpoint when given (it wins over the event's)", () => {
      expect(deploymentConf(candidate({ endpoint: 'other-model-prod' }), 'fraud-detector-prod').endpoint).toBe('fraud-detector-prod');
    });
    it('deploymentConf is contract 6', () => {
      const c = candidate({
        approvals: [
          { userId: 'U1', at: T0 },
          { userId: 'U2', at: T1 },
        ],
      });
      expect(deploymentConf(c)).toEqual({
        model: 'fraud-detector',
        version: '1.4.0',
        endpoint: 'fraud-detector-prod',
        approved_by: ['U1', 'U2'],
        candidate_id: c.id,
        strategy: { type: 'all-at-once' },
      });
    });
    it('markDeployed refuses an aborted rollout (a late deployment.succeeded does not make it live again)', () => {
      const aborted = candidate({ state: 'deploy_failed', abortedBy: 'U2', failureReason: 'aborted' });
      expect(markDeployed(aborted, { at: T1 })).toMatchObject({ ok: false, refusal: { code: 'state_conflict', state: 'deploy_failed' } });
      expect(markDeployed(candidate({ state: 'deploy_failed', failureReason: 'x' }), { at: T1 })).toMatchObject({ ok: true, outcome: 'deployed' });
    });
    it('deploymentConf carries the strategy the completing approval picked (contract 9)', () => {
      const canary = { type: 'canary', trafficPercent: 10, bakeMinutes: 10 } as const;
      const approved = approve(candidate(), { userId: 'U1', at: T1, forbidSelfApproval: true, strategy: canary });
      expect(approved.ok && approved.outcome).toBe('complete');
      if (!approved.ok || approved.next === undefined) throw new Error('not approved');
      expect(deploymentConf(approved.next).strategy).toEqual(canary);
    });
    it('recoveryActionFor: only after the grace, only for approved or unconfirmed deploying', () => {
      const now = new Date(Date.parse(T0) + 60_000);
      expect(recoveryActionFor(candidate({ state: 'approved' }), now, 30_000)).toBe('continue');
      expect(recoveryActionFor(candidate({ state: 'approved' }), now, 90_000)).toBeUndefined();
      expect(recoveryActionFor(candidate({ state: 'deploying', dagRunId: 'r' }), now, 30_000)).toBe('retrigger');
      expect(recoveryActionFor(candidate({ state: 'deploying', dagRunId: 'r', triggerConfirmedAt: T0 }), now, 30_000)).toBeUndefined();
      for (const state of ['pending', 'deployed', 'deploy_failed', 'rejected', 'superseded'] as const)
        expect(recoveryActionFor(candidate({ state }), now, 0)).toBeUndefined();
    });
    it('commandCandidate: deterministic id per source, pending, startedBy carried over', () => {
      const input = {
        origin: 'rollback-command' as const,
        model: 'fraud-detector',
        version: '1.3.0',
        sourceId: 'rollback-button:x',
        metrics: { f1: 0.88 },
        requiredApprovals: 2,
        requestedBy: 'U0ALICE',
        at: T0,
      };
      const a = commandCandidate({ ...input, from: { startedBy: 'U0BOB' } });
      expect(commandCandidate(input).id).toBe(a.id);
      expect(commandCandidate({ ...input, sourceId: 'other' }).id).not.toBe(a.id);
      expect(a).toMatchObject({
        state: 'pending',
        origin: 'rollback-command',
        approvals: [],
        attempt: 0,
        requiredApprovals: 2,
        startedBy: 'U0BOB',
        requestedBy: 'U0ALICE',
      });
      expect(a.id).toMatch(/^[A-Za-z0-9_.~:+-]+$/);
    });
    it('compareVersions orders semantic versions', () => {
      expect(['1.10.0', '1.2.0', '1.4.0-rc.1', '1.4.0', '0.9.9'].sort(compareVersions)).toEqual(['0.9.9', '1.2.0', '1.4.0-rc.1', '1.4.0', '1.10.0']);
      expect(compareVersions('1.4.0', '1.4.0+build.7')).toBe(0);
      expect(compareVersions('1.4.0-rc.2', '1.4.0-rc.10')).toBeLessThan(0);
      expect(compareVersions('1.4.0-alpha', '1.4.0-1')).toBeGreaterThan(0);
      expect(compareVersions('weird', '1.0.0')).toBeGreaterThan(0);
    });
  });
});
