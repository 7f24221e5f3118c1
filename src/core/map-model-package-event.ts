import type { RegistryDecision } from './candidate';
import { tagsOf } from './map-training-job-event';
import { asNumber, asRecord, asString as str } from './read-json-fields';

export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

/** CustomerMetadataProperties a package may carry for the card (numbers as strings, as SageMaker stores them). */
export const PackageProperty = {
  /** `metric.<name>`: one metric of the evaluation, e.g. `metric.f1 = "0.91"`. */
  MetricPrefix: 'metric.',
  /** A semantic version for the candidate; default `<ModelPackageVersion>.0.0`. */
  Version: 'mlops:version',
  Commit: 'mlops:commit',
  /** The Slack user who started the run (self-approval rule), when known. */
  RequestedBy: 'mlops:requested-by',
} as const;

/** The package a candidate stands for. */
export interface PackageRef {
  arn: string;
  group: string;
  version: number;
}

/** Approved / Rejected of a followed group's package: applied to its candidate (model-registry feature). */
export interface ModelPackageDecision extends RegistryDecision {
  model: string;
  package: PackageRef;
}

export type ModelPackageMapping =
  /** PendingManualApproval: an evaluation.completed pipeline event (still to be validated like any other). */
  | { ok: true; kind: 'pending'; event: Record<string, unknown> }
  | { ok: true; kind: 'decision'; decision: ModelPackageDecision }
  /** Nothing for the bot: another group, a status it does not act on. */
  | { ok: false; ignored: string }
  /** Not a model package event it can read: refused (400). */
  | { ok: false; problems: string[] };

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:\d{12}:model-package\/\S{1,2000}$/;

/**
 * An EventBridge "SageMaker Model Package State Change" (as published to SNS; the detail is the
 * package as DescribeModelPackage would answer) mapped for the groups the bot follows
 * (`models.<m>.modelPackageGroup`, one model per group):
 * PendingManualApproval → an `evaluation.completed` event whose id is per package
 * (`sagemaker-package:<arn>`; SNS and EventBridge repeats collapse into one candidate, one card),
 * metrics from CustomerMetadataProperties `metric.<name>`, lineage from the inference container
 * (image, ModelDataUrl) and MetadataProperties; Approved / Rejected → a decision for the
 * package's candidate, with who changed it (LastModifiedBy) and its ApprovalDescription.
 */
export function mapModelPackageEvent(input: Readonly<Record<string, unknown>>, modelsByGroup: Readonly<Record<string, string>>): ModelPackageMapping {
  const detail = asRecord(input['detail']);
  const arn = str(detail['ModelPackageArn']);
  const group = str(detail['ModelPackageGroupName']);
  const status = str(detail['ModelApprovalStatus']);
  const problems: string[] = [];
  if (arn === undefined || !ARN.test(arn)) problems.push('detail.ModelPackageArn: expected a model package ARN');
  if (group === undefined) problems.push('detail.ModelPackageGroupName: required (only versioned packages of a group are followed)');
  if (problems.length > 0 || arn === undefined || group === undefined) return { ok: false, problems };
  const model = Object.hasOwn(modelsByGroup, group) ? modelsByGroup[group] : undefined;
  if (model === undefined) return { ok: false, ignored: `model package group ${group} is not followed (set models.<model>.modelPackageGroup)` };
  const packageVersion = asNumber(detail['ModelPackageVersion']) ?? versionOfArn(arn);
  if (packageVersion === undefined || !Number.isInteger(packageVersion) || packageVersion < 1) {
    return { ok: false, problems: ['detail.ModelPackageVersion: expected a positive integer'] };
  }
  const pkg: PackageRef = { arn, group, version: packageVersion };
  const time = isoOf(detail['LastModifiedTime']) ?? isoOf(input['time']) ?? isoOf(detail['CreationTime']);
  if (status === 'Approved' || status === 'Rejected') {
    if (time === undefined) return { ok: false, problems: ['time: expected a timestamp'] };
    const by = whoOf(detail['LastModifiedBy']);
    const description = str(detail['ApprovalDescription']);
    return {
      ok: true,
      kind: 'decision',
      decision: { model, package: pkg, status, at: time, ...(by !== undefined ? { by } : {}), ...(description !== undefined ? { description } : {}) },
    };
  }
  if (status !== 'PendingManualApproval') return { ok: false, ignored: `model approval status ${status ?? '(none)'} is not reported` };

  const properties = tagsOf(detail['CustomerMetadataProperties']);
  const metrics: Record<string, number> = {};
  for (const [key, raw] of Object.entries(properties)) {
    if (!key.startsWith(PackageProperty.MetricPrefix)) continue;
    const name = key.slice(PackageProperty.MetricPrefix.length);
    const value = asNumber(raw);
    if (name !== '' && name.length <= 100 && value !== undefined && Object.keys(metrics).length < 200) metrics[name] = value;
  }
  const declared = properties[PackageProperty.Version];
  const version = declared !== undefined && SEMVER.test(declared) && declared.length <= 64 ? declared : `${packageVersion}.0.0`;
  const container = asRecord(
    Array.isArray(asRecord(detail['InferenceSpecification'])['Containers'])
      ? (asRecord(detail['InferenceSpecification'])['Containers'] as unknown[])[0]
      : undefined,
  );
  const image = str(container['Image']);
  const data = str(container['ModelDataUrl']);
  const commit = properties[PackageProperty.Commit] ?? str(asRecord(detail['MetadataProperties'])['CommitId']);
  const generatedBy = str(asRecord(detail['MetadataProperties'])['GeneratedBy']);
  const region = str(input['region']) ?? /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):/.exec(arn)?.[1];
  const requestedBy = properties[PackageProperty.RequestedBy];
  const links: Record<string, string> = {};
  if (region !== undefined && /^[a-z0-9-]+$/.test(region)) {
    links['model package'] =
      `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/model-registry/${encodeURIComponent(group)}/versions/${packageVersion}`;
  }
  const lineage = {
    ...(commit !== undefined ? { commit: commit.slice(0, 100) } : {}),
    ...(image !== undefined ? { image: image.slice(0, 500) } : {}),
    ...(data !== undefined ? { data: data.slice(0, 1000) } : {}),
  };
  const event: Record<string, unknown> = {
    id: `sagemaker-package:${arn}`.slice(0, 200),
    type: 'evaluation.completed',
    model,
    version,
    ...(time !== undefined ? { timestamp: time } : {}),
    metrics,
    ...(Object.keys(lineage).length > 0 ? { lineage } : {}),
    ...(Object.keys(links).length > 0 ? { links } : {}),
    // A SageMaker Pipelines execution registered it: its events share that run's thread.
    ...(generatedBy !== undefined && generatedBy.length <= 250 ? { run: { runId: generatedBy } } : {}),
    ...(requestedBy !== undefined && /^[UW][A-Z0-9]{2,}$/.test(requestedBy) ? { requestedBy } : {}),
    modelPackage: pkg,
  };
  return { ok: true, kind: 'pending', event };
}

function versionOfArn(arn: string): number | undefined {
  return asNumber(/\/(\d+)$/.exec(arn)?.[1]);
}

/** EventBridge renders times as ISO text, DescribeModelPackage as epoch seconds. */
function isoOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value > 1e11 ? value : value * 1000).toISOString();
  const text = str(value);
  if (text === undefined || Number.isNaN(Date.parse(text))) return undefined;
  return new Date(Date.parse(text)).toISOString();
}

/** UserContext: the Studio user profile, else the IAM identity (role session or user ARN). */
export function whoOf(value: unknown): string | undefined {
  const ctx = asRecord(value);
  const who = str(ctx['UserProfileName']) ?? str(asRecord(ctx['IamIdentity'])['Arn']) ?? str(ctx['UserProfileArn']);
  return who?.slice(0, 300);
}
