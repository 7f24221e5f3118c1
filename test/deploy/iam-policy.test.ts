import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Terraform cannot be installed here (no Debian package; the npm package "terraform" is an unrelated
 * preprocessor), so instead of `terraform validate` this test keeps deploy/terraform honest against
 * the code: the bot's policy grants exactly the AWS actions that src/aws calls, and the trigger
 * Lambda's role exactly what lambda/dag-trigger calls.
 */

const ROOT = join(__dirname, '..', '..');
const TF = join(ROOT, 'deploy', 'terraform');

/** SDK command (or hand-signed call) -> the IAM action it needs. */
const ACTION_OF: Record<string, string> = {
  DescribeEndpointCommand: 'sagemaker:DescribeEndpoint',
  DescribeEndpointConfigCommand: 'sagemaker:DescribeEndpointConfig',
  ListModelsCommand: 'sagemaker:ListModels',
  DescribeTrainingJobCommand: 'sagemaker:DescribeTrainingJob',
  DescribeModelPackageCommand: 'sagemaker:DescribeModelPackage',
  UpdateModelPackageCommand: 'sagemaker:UpdateModelPackage',
  GetMetricDataCommand: 'cloudwatch:GetMetricData',
  InvokeCommand: 'lambda:InvokeFunction',
  InvokeRestApi: 'airflow:InvokeRestApi',
};
/** Actions without resource-level permissions: only these may use Resource "*". */
const NO_RESOURCE_LEVEL = new Set(['sagemaker:ListModels', 'cloudwatch:GetMetricData']);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Commands the code sends, plus the hand-signed MWAA InvokeRestApi (POST /restapi/{Name}). */
function callsIn(dir: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  const add = (name: string, file: string): void => {
    calls.set(name, [...(calls.get(name) ?? []), file]);
  };
  for (const file of tsFiles(dir)) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/new\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g)) add(match[1]!, file);
    if (/[`'"][^`'"\n]*\/restapi\//.test(source) || /service:\s*['"]airflow['"]/.test(source)) add('InvokeRestApi', file);
  }
  return calls;
}

/** The text of `<keyword> "<type>" "<name>" { … }` in an HCL file (balanced braces). */
function hclBlock(hcl: string, header: string): string {
  const start = hcl.indexOf(header);
  if (start < 0) throw new Error(`block not found: ${header}`);
  let depth = 0;
  for (let i = hcl.indexOf('{', start); i < hcl.length; i += 1) {
    if (hcl[i] === '{') depth += 1;
    if (hcl[i] === '}') depth -= 1;
    if (depth === 0) return hcl.slice(start, i + 1);
  }
  throw new Error(`unbalanced block: ${header}`);
}

function quotedActions(block: string): string[] {
  return [...block.matchAll(/actions\s*=\s*\[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/"([a-z0-9-]+:[A-Za-z0-9*]+)"/g)].map((a) => a[1]!));
}

const policy = JSON.parse(readFileSync(join(TF, 'bot-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
const mainTf = readFileSync(join(TF, 'main.tf'), 'utf8');

describe('deploy/terraform bot policy', () => {
  it('is a well-formed allow-only policy, used by main.tf through templatefile', () => {
    expect(policy.Version).toBe('2012-10-17');
    expect(mainTf).toMatch(/templatefile\("\$\{path\.module\}\/bot-policy\.json"/);
    expect(mainTf).toMatch(/resource "aws_iam_policy" "bot"/);
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of list(statement.Action)) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/); // no wildcards
    }
    // main.tf drops the trigger statement of the kind not in use, by Sid.
    const sids = policy.Statement.map((s) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(['InvokeDagTriggerLambda', 'InvokeMwaaRestApi']));
    expect(mainTf).toContain('"InvokeMwaaRestApi" : "InvokeDagTriggerLambda"');
  });

  it('uses Resource "*" only for actions without resource-level permissions', () => {
    for (const statement of policy.Statement) {
      if (list(statement.Resource).includes('*')) {
        for (const action of list(statement.Action)) expect(NO_RESOURCE_LEVEL.has(action) ? action : `${action} on "*"`).toBe(action);
      }
    }
    const invokeRestApi = policy.Statement.find((s) => list(s.Action).includes('airflow:InvokeRestApi'));
    // InvokeRestApi is authorised on the Airflow role of one environment.
    expect(list(invokeRestApi!.Resource)).toEqual(['arn:${partition}:airflow:${region}:${account_id}:role/${mwaa_environment}/${airflow_role}']);
    const invokeLambda = policy.Statement.find((s) => list(s.Action).includes('lambda:InvokeFunction'));
    expect(list(invokeLambda!.Resource)).toEqual(['${trigger_function_arn}']);
  });

  it('lets the bot describe and approve/reject only the packages of the followed Model Registry groups (contract 10)', () => {
    const registry = policy.Statement.find((s) => s.Sid === 'ModelRegistryPackages');
    expect(list(registry!.Action).sort()).toEqual(['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage']);
    // No other statement grants them (not on "*", not on a group ARN).
    const elsewhere = policy.Statement.filter((s) => s !== registry && list(s.Action).some((a) => a.includes('ModelPackage')));
    expect(elsewhere).toEqual([]);
    // main.tf puts one versioned-package ARN per group of var.model_package_groups in its place, and drops it without groups.
    expect(mainTf).toMatch(/model-package\/\$\{name\}\/\*"/);
    expect(mainTf).toContain('for g in var.model_package_groups');
    expect(mainTf).toContain('merge(s, { Resource = local.model_package_arns })');
    expect(mainTf).toContain('(s.Sid != "ModelRegistryPackages" || length(var.model_package_groups) > 0)');
  });

  it('grants exactly the AWS calls the bot makes in src/aws (every used action granted, every granted action used)', () => {
    const calls = callsIn(join(ROOT, 'src', 'aws'));
    const unmapped = [...calls.keys()].filter((name) => ACTION_OF[name] === undefined);
    expect(unmapped).toEqual([]); // a new SDK command: add it to ACTION_OF and to bot-policy.json

    const used = new Set([...calls.keys()].map((name) => ACTION_OF[name]!));
    const granted = new Set(policy.Statement.flatMap((s) => list(s.Action)));
    expect({ usedButNotGranted: [...used].filter((a) => !granted.has(a)).sort() }).toEqual({ usedButNotGranted: [] });
    expect({ grantedButNotUsed: [...granted].filter((a) => !used.has(a)).sort() }).toEqual({ grantedButNotUsed: [] });
  });
});

describe('deploy/terraform DAG-trigger Lambda', () => {
  it("gives the function's role only InvokeRestApi on the Airflow role, plus its own log group", () => {
    const calls = callsIn(join(ROOT, 'lambda', 'dag-trigger', 'src'));
    expect([...calls.keys()].map((name) => ACTION_OF[name])).toEqual(['airflow:InvokeRestApi']);

    const block = hclBlock(mainTf, 'data "aws_iam_policy_document" "dag_trigger"');
    expect(quotedActions(block).sort()).toEqual(['airflow:InvokeRestApi', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(block).toContain('resources = [local.airflow_role_arn]');
    expect(mainTf).toContain(
      'airflow_role_arn = "arn:${local.partition}:airflow:${local.region}:${local.account_id}:role/${var.mwaa_environment_name}/${var.airflow_role}"',
    );
  });

  it('deploys the bundled handler with the environment the function reads at cold start', () => {
    const fn = hclBlock(mainTf, 'resource "aws_lambda_function" "dag_trigger"');
    expect(fn).toContain('handler          = "handler.handler"');
    expect(fn).toMatch(/runtime\s+= "nodejs22\.x"/);
    expect(fn).toMatch(/MWAA_ENVIRONMENT\s+= var\.mwaa_environment_name/);
    expect(fn).toMatch(/ALLOWED_DAGS\s+= join\(",", var\.allowed_dags\)/);
    const config = readFileSync(join(ROOT, 'lambda', 'dag-trigger', 'src', 'lambda-config.ts'), 'utf8');
    expect(config).toContain('env.MWAA_ENVIRONMENT');
    expect(config).toContain('env.ALLOWED_DAGS');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'lambda', 'dag-trigger', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['package']).toBe('node scripts/package.mjs');
    expect(mainTf).toContain('lambda/dag-trigger/dist/dag-trigger.zip');
  });

  it("subscribes the bot's /hooks/sns over HTTPS", () => {
    const sub = hclBlock(mainTf, 'resource "aws_sns_topic_subscription" "bot"');
    expect(sub).toMatch(/protocol\s+= "https"/);
    expect(sub).toContain('/hooks/sns"');
    expect(sub).toMatch(/raw_message_delivery\s+= false/);
  });
});
