import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { mapModelPackageEvent } from '../../src/core/map-model-package-event';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import {
  APPROVAL_DESCRIPTION_MAX,
  REGISTRY_MARK,
  applyRegistryDecision,
  approvalDescriptionFor,
  registryConflict,
  registryWriteDue,
} from '../../src/core/registry-sync';
import { PACKAGE_GROUP, packageArn, packageDetail, packageEvent, studioDecision } from '../fixtures/model-package-events';

const GROUPS = { [PACKAGE_GROUP]: 'fraud-detector' };
const AT = '2026-11-24T18:00:00.000Z';

function candidate(overrides: Partial<DeploymentCandidate> = {}): DeploymentCandidate {
  return {
    id: 'fraud-detector_1.5.0_abc',
    model: 'fraud-detector',
    version: '1.5.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.93 },
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: AT,
    updatedAt: AT,
    rev: 0,
    registry: { packageArn: packageArn(2), group: PACKAGE_GROUP, packageVersion: 2 },
    ...overrides,
  };
}

describe('mapModelPackageEvent (the SageMaker Developer Guide sample shape)', () => {
  it('PendingManualApproval of a followed group: a valid evaluation.completed with metrics, lineage, the package and a per-package id', () => {
    const mapped = mapModelPackageEvent(packageEvent(), GROUPS);
    if (!mapped.ok || mapped.kind !== 'pending') throw new Error(JSON.stringify(mapped));
    const parsed = parsePipelineEvent({ timestamp: AT, ...mapped.event });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    expect(parsed.value).toMatchObject({
      id: `sagemaker-package:${packageArn(2)}`,
      type: 'evaluation.completed',
      model: 'fraud-detector',
      version: '1.5.0',
      timestamp: '2026-11-24T17:00:14.000Z',
      metrics: { f1: 0.93, precision: 0.95, recall: 0.91 },
      lineage: { image: '257758044811.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', data: expect.stringMatching(/^s3:\/\/.*model\.tar\.gz$/) },
      run: { runId: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/fraud-detector/execution/4r83jejmhorv' },
      modelPackage: { arn: packageArn(2), group: PACKAGE_GROUP, version: 2 },
    });
    expect(parsed.value.links?.['model package']).toContain('model-registry/fraud-detector-packages/versions/2');
  });

  it('without mlops:version the version is <ModelPackageVersion>.0.0; metrics only from numeric metric.* properties', () => {
    const mapped = mapModelPackageEvent(
      packageEvent(packageDetail({ CustomerMetadataProperties: { 'metric.f1': '0.9', 'metric.bad': 'n/a', other: '3' } }, 7)),
      GROUPS,
    );
    if (!mapped.ok || mapped.kind !== 'pending') throw new Error(JSON.stringify(mapped));
    expect(mapped.event).toMatchObject({ version: '7.0.0', metrics: { f1: 0.9 } });
    expect(Object.keys(mapped.event['metrics'] as object)).toEqual(['f1']);
  });

  it('Approved / Rejected: a decision with who (Studio profile, else IAM identity), when and the description', () => {
    const studio = mapModelPackageEvent(packageEvent(studioDecision('Approved', '2026-11-24T18:05:00Z', 'maria.studio', 'looks good')), GROUPS);
    expect(studio).toEqual({
      ok: true,
      kind: 'decision',
      decision: {
        model: 'fraud-detector',
        package: { arn: packageArn(2), group: PACKAGE_GROUP, version: 2 },
        status: 'Approved',
        by: 'maria.studio',
        at: '2026-11-24T18:05:00.000Z',
        description: 'looks good',
      },
    });
    const iam = mapModelPackageEvent(
      packageEvent(
        packageDetail({ ModelApprovalStatus: 'Rejected', LastModifiedBy: { IamIdentity: { Arn: 'arn:aws:sts::123456789012:assumed-role/ops/jo' } } }),
      ),
      GROUPS,
    );
    expect(iam).toMatchObject({ ok: true, decision: { status: 'Rejected', by: 'arn:aws:sts::123456789012:assumed-role/ops/jo' } });
  });

  it('another group is ignored with a reason; a malformed detail is refused with problems, never thrown', () => {
    expect(mapModelPackageEvent(packageEvent(packageDetail({ ModelPackageGroupName: 'someone-elses' })), GROUPS)).toEqual({
      ok: false,
      ignored: 'model package group someone-elses is not followed (set models.<model>.modelPackageGroup)',
    });
    for (const detail of [{}, { ModelPackageArn: 'not-an-arn', ModelPackageGroupName: PACKAGE_GROUP }, null, 'text', [1]]) {
      const mapped = mapModelPackageEvent({ 'detail-type': 'SageMaker Model Package State Change', detail }, GROUPS);
      expect(mapped.ok).toBe(false);
      expect('problems' in mapped && mapped.problems.length > 0).toBe(true);
    }
    // An inherited property name is not a followed group.
    expect(mapModelPackageEvent(packageEvent(packageDetail({ ModelPackageGroupName: 'constructor' })), GROUPS)).toMatchObject({
      ok: false,
      ignored: expect.any(String),
    });
  });
});

describe('registry decisions on a candidate (core/registry-sync)', () => {
  const decision = (status: 'Approved' | 'Rejected', extra: Record<string, unknown> = {}) => ({
    status,
    at: AT,
    by: 'maria.studio',
    deployable: true,
    now: AT,
    ...extra,
  });

  it('pending + Approved in SageMaker (deployable) → approved, applied; Rejected → rejected with the description as reason', () => {
    const approved = applyRegistryDecision(candidate(), decision('Approved'));
    expect(approved).toMatchObject({
      ok: true,
      outcome: 'approved',
      next: { state: 'approved', registry: { external: { status: 'Approved', by: 'maria.studio', applied: true } } },
    });
    const rejected = applyRegistryDecision(candidate(), decision('Rejected', { description: 'data leak in features' }));
    expect(rejected).toMatchObject({ ok: true, outcome: 'rejected', next: { state: 'rejected', rejectReason: 'data leak in features' } });
  });

  it('without a deployment DAG a Studio approval makes it registry_approved: nothing to deploy, nothing to write back', () => {
    const result = applyRegistryDecision(candidate(), decision('Approved', { deployable: false }));
    expect(result).toMatchObject({ ok: true, outcome: 'approved', next: { state: 'registry_approved', registry: { external: { applied: true } } } });
    if (result.ok && result.next !== undefined) expect(registryWriteDue(result.next)).toBeUndefined();
    // Approved in Slack (no DAG): written to the registry at once.
    expect(registryWriteDue(candidate({ state: 'registry_approved' }))).toBe('Approved');
  });

  it('a Studio approval that would override the gate or a freeze window is held: pending, with the checks', () => {
    const held = applyRegistryDecision(candidate(), decision('Approved', { held: ['freeze window (* * * * *, UTC) until 2026-11-24T19:00Z'] }));
    expect(held).toMatchObject({
      ok: true,
      outcome: 'noted',
      next: { state: 'pending', registry: { external: { applied: false, held: [expect.stringContaining('freeze')] } } },
    });
    // A rejection is never held.
    expect(applyRegistryDecision(candidate(), decision('Rejected', { held: ['freeze'] }))).toMatchObject({ outcome: 'rejected' });
  });

  it('the bot’s own write coming back is an echo: no state change, whatever the state', () => {
    for (const state of ['pending', 'deploying', 'deployed', 'rejected'] as const) {
      const result = applyRegistryDecision(candidate({ state }), decision('Approved', { description: `${REGISTRY_MARK} Approved in Slack by U0ALICE` }));
      expect(result).toMatchObject({ ok: true, outcome: 'echo' });
      if (result.ok) expect(result.next?.state ?? state).toBe(state);
    }
  });

  it('a decided candidate keeps its outcome: the other status is a conflict, the same one is noted; a repeat is unchanged', () => {
    const rejectedInSlack = candidate({ state: 'rejected', decidedBy: 'U0BOB', rejectReason: 'worse recall' });
    const conflict = applyRegistryDecision(rejectedInSlack, decision('Approved'));
    expect(conflict).toMatchObject({ ok: true, outcome: 'conflict', next: { state: 'rejected' } });
    if (!conflict.ok || conflict.next === undefined) throw new Error('expected a write');
    expect(registryConflict(conflict.next)).toMatchObject({ status: 'Approved', by: 'maria.studio' });
    // Never overwritten: nothing is due for the sync job.
    expect(registryWriteDue(conflict.next)).toBeUndefined();
    expect(applyRegistryDecision(conflict.next, decision('Approved'))).toEqual({ ok: true, outcome: 'unchanged' });
    const deploying = candidate({ state: 'deploying', triggerConfirmedAt: AT, approvals: [{ userId: 'U0ALICE', at: AT }] });
    expect(applyRegistryDecision(deploying, decision('Approved'))).toMatchObject({ ok: true, outcome: 'noted' });
    expect(applyRegistryDecision(deploying, decision('Rejected'))).toMatchObject({ ok: true, outcome: 'conflict', next: { state: 'deploying' } });
  });

  it('the write is due only once the decision is final: a Reject at once, an approval once its trigger is confirmed', () => {
    expect(registryWriteDue(candidate())).toBeUndefined();
    expect(registryWriteDue(candidate({ state: 'rejected' }))).toBe('Rejected');
    expect(registryWriteDue(candidate({ state: 'approved' }))).toBeUndefined();
    expect(registryWriteDue(candidate({ state: 'deploying' }))).toBeUndefined();
    expect(registryWriteDue(candidate({ state: 'deploying', triggerConfirmedAt: AT }))).toBe('Approved');
    expect(registryWriteDue(candidate({ state: 'deployed', registry: { ...candidate().registry!, synced: { status: 'Approved', at: AT } } }))).toBeUndefined();
    expect(registryWriteDue(candidate({ state: 'deployed', registry: undefined }))).toBeUndefined();
  });

  it('ApprovalDescription names the Slack approvers and the reason, marked as the bot’s, within 1024 characters, control characters out', () => {
    const approved = candidate({
      state: 'deploying',
      approvals: [
        { userId: 'U0ALICE', at: AT },
        { userId: 'U0BOB', at: AT },
      ],
      dagRunId: 'mlops_deploy__x__1',
    });
    expect(approvalDescriptionFor(approved, 'Approved')).toBe(`${REGISTRY_MARK} Approved in Slack by U0ALICE, U0BOB; deployment run mlops_deploy__x__1`);
    const long = approvalDescriptionFor(candidate({ state: 'rejected', decidedBy: 'U0BOB', rejectReason: `bad\n${'x'.repeat(3000)}` }), 'Rejected');
    expect(long.length).toBe(APPROVAL_DESCRIPTION_MAX);
    expect(long.startsWith(`${REGISTRY_MARK} Rejected in Slack by U0BOB: bad x`)).toBe(true);
    expect(long).not.toMatch(/\n/);
  });
});

describe('config: models.<m>.modelPackageGroup (contract 10)', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'sign-secret' };
  const load = (models: Record<string, unknown>) => loadConfig(env, () => stringify({ models }));

  it('is accepted and kept', () => {
    const result = load({ 'fraud-detector': { modelPackageGroup: PACKAGE_GROUP } });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.file.models['fraud-detector']?.modelPackageGroup).toBe(PACKAGE_GROUP);
  });

  it('refuses a group followed by two models, and a name SageMaker would refuse', () => {
    const twice = load({ a: { modelPackageGroup: 'shared' }, b: { modelPackageGroup: 'shared' } });
    expect(twice.ok).toBe(false);
    if (!twice.ok) expect(twice.problems.join('\n')).toContain('models.b.modelPackageGroup: "shared" is already followed by a: one model per group');
    const bad = load({ a: { modelPackageGroup: 'no_underscores' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toContain('models.a.modelPackageGroup');
  });
});
