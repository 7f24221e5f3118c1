import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * deploy/terraform parsed as HCL (@cdktf/hcl2json: HashiCorp's own parser compiled to WASM, no
 * network, no terraform binary). Issue 18 and issue 10's SNS item: what the module must get right
 * for a new user, each caught here if it comes back.
 */

const ROOT = join(__dirname, '..', '..');
const TF = join(ROOT, 'deploy', 'terraform');

// hcl2json's shape: every block is an array of bodies; expressions are "${…}" strings.
type Body = Record<string, unknown>;
interface Statement {
  sid?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] | string }[];
  condition?: { test: string; variable: string; values: string[] }[];
}
interface PolicyDocument {
  count?: string;
  statement?: Statement[];
  dynamic?: { statement?: { for_each: string; content: Statement[] }[] };
}

let tfModule: Body = {};
let backend: Body = {};
const tfFiles = readdirSync(TF).filter((f) => f.endsWith('.tf'));

beforeAll(async () => {
  const parsed = await Promise.all(tfFiles.map((f) => parse(f, readFileSync(join(TF, f), 'utf8')) as Promise<Body>));
  tfModule = mergeDeep(parsed);
  backend = (await parse('backend.tf.example', readFileSync(join(TF, 'backend.tf.example'), 'utf8'))) as Body;
});

function mergeDeep(parts: Body[]): Body {
  const out: Body = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      const prev = out[key];
      out[key] =
        prev !== undefined && typeof prev === 'object' && !Array.isArray(prev) && typeof value === 'object' && !Array.isArray(value)
          ? mergeDeep([prev as Body, value as Body])
          : value;
    }
  }
  return out;
}

function block(...path: string[]): Body {
  let node: unknown = tfModule;
  for (const key of path) {
    if (Array.isArray(node)) node = node[0];
    node = (node as Body | undefined)?.[key];
    if (node === undefined) throw new Error(`no ${path.join('.')} in deploy/terraform`);
  }
  return (Array.isArray(node) ? node[0] : node) as Body;
}

/** Every statement of the topic policy, static and dynamic, with the dynamic one's condition. */
function topicStatements(): (Statement & { onlyWhen?: string })[] {
  const doc = block('data', 'aws_iam_policy_document', 'events_topic') as PolicyDocument;
  return [...(doc.statement ?? []), ...(doc.dynamic?.statement ?? []).flatMap((d) => d.content.map((c) => ({ ...c, onlyWhen: d.for_each })))];
}

describe('deploy/terraform (parsed HCL)', () => {
  it('parses every .tf file', () => {
    expect(tfFiles).toEqual(expect.arrayContaining(['main.tf', 'variables.tf', 'outputs.tf']));
    expect(Object.keys(tfModule)).toEqual(expect.arrayContaining(['terraform', 'resource', 'data', 'variable', 'output', 'locals']));
  });

  describe('the SNS topic policy', () => {
    it('exists whenever the module creates the topic (not only with EventBridge forwarding), and is attached', () => {
      expect((block('data', 'aws_iam_policy_document', 'events_topic') as PolicyDocument).count).toBe('${local.create_topic ? 1 : 0}');
      const policy = block('resource', 'aws_sns_topic_policy', 'events');
      expect(policy['count']).toBe('${local.create_topic ? 1 : 0}');
      expect(policy['policy']).toBe('${data.aws_iam_policy_document.events_topic[0].json}');
    });

    it('lets CloudWatch alarms of this account publish (cloudwatch.amazonaws.com, source alarm ARN and account)', () => {
      const cw = topicStatements().find((s) =>
        s.principals?.some((p) => p.type === 'Service' && (p.identifiers as string[]).includes('cloudwatch.amazonaws.com')),
      );
      expect(cw).toBeDefined();
      expect(cw!.onlyWhen).toBeUndefined();
      expect(cw!.actions).toEqual(['sns:Publish']);
      expect(cw!.condition).toEqual(
        expect.arrayContaining([
          { test: 'ArnLike', variable: 'aws:SourceArn', values: ['arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*'] },
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: ['${local.account_id}'] },
        ]),
      );
    });

    it('lets EventBridge publish only from the training-job rule', () => {
      const eb = topicStatements().find((s) => s.principals?.some((p) => p.type === 'Service' && (p.identifiers as string[]).includes('events.amazonaws.com')));
      expect(eb?.condition).toEqual([{ test: 'ArnEquals', variable: 'aws:SourceArn', values: ['${aws_cloudwatch_event_rule.training_job_state[0].arn}'] }]);
      expect(eb?.onlyWhen).toMatch(/var\.forward_training_job_events/);
    });

    it('never lets the whole account publish: the only AWS principals are the listed publisher roles (issue 10)', () => {
      const awsPrincipals = topicStatements().flatMap((s) =>
        (s.principals ?? []).filter((p) => p.type === 'AWS').map((p) => ({ sid: s.sid, identifiers: p.identifiers, onlyWhen: s.onlyWhen })),
      );
      expect(awsPrincipals).toEqual([
        { sid: 'PipelinePublish', identifiers: '${var.publisher_role_arns}', onlyWhen: '${length(var.publisher_role_arns) > 0 ? [1] : []}' },
      ]);
      expect(JSON.stringify(topicStatements())).not.toMatch(/:root|"\*"/);
      const variable = block('variable', 'publisher_role_arns');
      expect(variable['type']).toBe('${list(string)}');
      expect(variable['default']).toEqual([]);
    });
  });

  it('routes the followed Model Registry groups’ approval status changes to the topic, and lets only that rule publish them (contract 10)', () => {
    const rule = block('resource', 'aws_cloudwatch_event_rule', 'model_package_state');
    expect(rule['count']).toBe('${local.create_topic && length(var.model_package_groups) > 0 ? 1 : 0}');
    const pattern = String(rule['event_pattern']);
    expect(pattern).toContain('"SageMaker Model Package State Change"');
    expect(pattern).toMatch(/ModelPackageGroupName\s*=\s*var\.model_package_groups/);
    expect(pattern).toMatch(/ModelApprovalStatus\s*=\s*\["PendingManualApproval", "Approved", "Rejected"\]/);
    expect(block('resource', 'aws_cloudwatch_event_target', 'model_package_state')['arn']).toBe('${aws_sns_topic.events[0].arn}');
    const publish = topicStatements().find((s) => s.sid === 'EventBridgeModelPackagesPublish');
    expect(publish?.condition).toEqual([{ test: 'ArnEquals', variable: 'aws:SourceArn', values: ['${aws_cloudwatch_event_rule.model_package_state[0].arn}'] }]);
    expect(publish?.onlyWhen).toMatch(/length\(var\.model_package_groups\) > 0/);
    expect(block('variable', 'model_package_groups')['default']).toEqual([]);
  });

  it('forwards InProgress (-> training.started) as well as Completed, Failed and Stopped from EventBridge', () => {
    const pattern = String(block('resource', 'aws_cloudwatch_event_rule', 'training_job_state')['event_pattern']);
    const statuses = /TrainingJobStatus\s*=\s*\[([^\]]*)\]/
      .exec(pattern)?.[1]
      ?.match(/"([A-Za-z]+)"/g)
      ?.map((s) => s.slice(1, -1));
    expect(statuses?.sort()).toEqual(['Completed', 'Failed', 'InProgress', 'Stopped']);
  });

  describe('the topic ARN is known before apply, so the bot can confirm the subscription in the documented order', () => {
    it('local.sns_topic_arn of a created topic is built from partition, region, account and name, not read from the resource', () => {
      const arn = String(block('locals')['sns_topic_arn']);
      expect(arn).toContain('arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.sns_topic_name}');
      expect(arn).not.toMatch(/aws_sns_topic\./);
      expect(block('output', 'sns_topic_arn')['value']).toBe('${local.sns_topic_arn}');
    });

    it('the created topic checks that AWS gave it that ARN, and the subscription waits long enough for the bot', () => {
      const topic = block('resource', 'aws_sns_topic', 'events');
      const post = (topic['lifecycle'] as Body[])[0]!['postcondition'] as { condition: string }[];
      expect(post.map((p) => p.condition)).toContain('${self.arn == local.sns_topic_arn}');
      const sub = block('resource', 'aws_sns_topic_subscription', 'bot');
      expect(sub['endpoint_auto_confirms']).toBe(true);
      expect(sub['raw_message_delivery']).toBe(false);
      expect(Number(sub['confirmation_timeout_in_minutes'])).toBeGreaterThanOrEqual(2);
    });
  });

  it('bounds the AWS provider to one major version and uses data.aws_region.region (name is deprecated in 6.x)', () => {
    const providers = block('terraform', 'required_providers') as Record<string, { source: string; version: string }>;
    const constraint = providers['aws']!.version;
    expect(constraint).toMatch(/>=\s*6\.\d+/);
    expect(constraint).toMatch(/<\s*7(\.0)*(\s|,|$)/);
    for (const [name, p] of Object.entries(providers)) expect({ name, bounded: p.version.includes('<') }).toEqual({ name, bounded: true });
    expect(block('locals')['region']).toBe('${data.aws_region.current.region}');
    for (const file of tfFiles)
      expect({ file, deprecated: /data\.aws_region\.[a-z_]+\.name\b/.test(readFileSync(join(TF, file), 'utf8')) }).toEqual({ file, deprecated: false });
  });

  it('ships a remote state backend example that parses (S3 with locking)', () => {
    const s3 = ((backend['terraform'] as Body[])[0]!['backend'] as Body)['s3'] as Body[];
    expect(s3[0]).toMatchObject({ bucket: expect.any(String), key: expect.any(String), region: expect.any(String), encrypt: true });
    expect(s3[0]!['use_lockfile'] === true || typeof s3[0]!['dynamodb_table'] === 'string').toBe(true);
    expect(tfModule['terraform']).not.toEqual(expect.arrayContaining([expect.objectContaining({ backend: expect.anything() })])); // an example, not forced on everyone
  });

  it('runs the trigger Lambda on nodejs22.x from the zip that `npm run package` builds', () => {
    const fn = block('resource', 'aws_lambda_function', 'dag_trigger');
    expect(fn['runtime']).toBe('nodejs22.x');
    expect(fn['handler']).toBe('handler.handler');
    expect(fn['filename']).toBe('${local.lambda_zip}');
    expect(fn['source_code_hash']).toBe('${filebase64sha256(local.lambda_zip)}');
    const zipPath = /"\$\{path\.module\}\/([^"]+)"/.exec(String(block('locals')['lambda_zip']))?.[1];
    expect(zipPath).toBe('../../lambda/dag-trigger/dist/dag-trigger.zip');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'lambda', 'dag-trigger', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['package']).toBe('node scripts/package.mjs');
    expect((tfModule['data'] as Body)['archive_file']).toBeUndefined(); // one packaging recipe, not two
  });

  it('git-ignores .terraform, state, .build, *.tfvars and the real mlops.config.yml, but not the examples or the provider lock', () => {
    // git's own matcher on the project's .gitignore alone: a scratch repository (so an export
    // without .git works too) with no global excludes (so they cannot make this pass).
    const scratch = mkdtempSync(join(tmpdir(), 'gitignore-check-'));
    execFileSync('git', ['init', '-q', scratch]);
    copyFileSync(join(ROOT, '.gitignore'), join(scratch, '.gitignore'));
    const ignored = (path: string) => {
      try {
        execFileSync('git', ['-c', 'core.excludesFile=/dev/null', 'check-ignore', '-q', '--no-index', path], { cwd: scratch, stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    const mustIgnore = [
      'deploy/terraform/.terraform/providers/registry.terraform.io/hashicorp/aws/6.0.0/linux_amd64/x',
      'deploy/terraform/terraform.tfstate',
      'deploy/terraform/terraform.tfstate.backup',
      'deploy/terraform/.build/dag-trigger.zip',
      'deploy/terraform/prod.tfvars',
      'deploy/terraform/prod.tfvars.json',
      'mlops.config.yml',
    ];
    const mustKeep = [
      'mlops.config.example.yml',
      'deploy/k8s/mlops.config.yml',
      'deploy/terraform/backend.tf.example',
      'deploy/terraform/.terraform.lock.hcl',
      'deploy/terraform/main.tf',
    ];
    expect(mustIgnore.filter((p) => !ignored(p))).toEqual([]);
    expect(mustKeep.filter(ignored)).toEqual([]);
    rmSync(scratch, { recursive: true, force: true });
  });
});
