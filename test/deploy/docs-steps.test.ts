import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * Issue 18: "a new user can follow README.md and docs/connect-your-pipeline.md from top to bottom
 * with every step correct". What can be checked without a cloud: every `npm run` names a script of
 * the package it runs in, every Terraform variable in the docs' tfvars and every output they name
 * exists, and the files the steps tell you to copy or edit are there.
 */

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = ['README.md', 'docs/connect-your-pipeline.md', 'docs/dag-trigger-lambda.md', 'lambda/dag-trigger/README.md'];
const scriptsOf = (dir: string) => Object.keys((JSON.parse(read(join(dir, 'package.json'))) as { scripts: Record<string, string> }).scripts);

let variables: string[] = [];
let outputs: string[] = [];
let resources: string[] = [];
beforeAll(async () => {
  const tf = async (file: string) => (await parse(file, read(join('deploy/terraform', file)))) as Record<string, Record<string, unknown>>;
  variables = Object.keys((await tf('variables.tf'))['variable'] ?? {});
  outputs = Object.keys((await tf('outputs.tf'))['output'] ?? {});
  const main = (await tf('main.tf'))['resource'] ?? {};
  resources = Object.entries(main).flatMap(([type, byName]) => Object.keys(byName as object).map((name) => `${type}.${name}`));
});

describe('the documented steps name things that exist', () => {
  it.each(DOCS)('%s: every `npm run <script>` exists in the package it runs in', (doc) => {
    const text = read(doc);
    const missing: string[] = [];
    // The Lambda's own pages, and `(cd lambda/dag-trigger && … npm run x)` lines, run in lambda/dag-trigger.
    const lambdaDoc = doc.includes('dag-trigger');
    for (const line of text.split('\n')) {
      const dir = lambdaDoc || line.includes('lambda/dag-trigger') ? 'lambda/dag-trigger' : '.';
      for (const m of line.matchAll(/npm run ([a-z:-]+)/g)) if (!scriptsOf(dir).includes(m[1]!)) missing.push(`${dir}: npm run ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('the tfvars of the guide set only variables the module declares, and every required one', () => {
    const guide = read('docs/connect-your-pipeline.md');
    const tfvars = /cat > prod\.tfvars <<'EOF'\n([\s\S]*?)\nEOF/.exec(guide)?.[1] ?? '';
    const set = [...tfvars.matchAll(/^#?\s*([a-z_]+)\s+=/gm)].map((m) => m[1]!);
    expect(set.length).toBeGreaterThan(3);
    expect(set.filter((v) => !variables.includes(v))).toEqual([]);
    for (const required of ['mwaa_environment_name', 'allowed_dags', 'bot_public_url']) expect(set).toContain(required);
    expect(set).toContain('publisher_role_arns');
  });

  it('outputs and resources the docs name exist in deploy/terraform', () => {
    const text = DOCS.map(read).join('\n');
    for (const output of ['sns_topic_arn', 'trigger_function_name', 'bot_policy_arn']) {
      if (text.includes(output)) expect(outputs).toContain(output);
    }
    for (const m of text.matchAll(/-replace=([a-z_]+\.[a-z_]+)/g)) expect(resources).toContain(m[1]);
  });

  it('the files the guide tells you to copy, apply or edit exist', () => {
    const guide = read('docs/connect-your-pipeline.md');
    const named = [
      ...guide.matchAll(
        /(deploy\/k8s\/[a-z.-]+\.ya?ml|backend\.tf\.example|mlops\.config\.example\.yml|integrations\/airflow\/mlops_notify\.py|bin\/mlops-notify\.ts)/g,
      ),
    ].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(4);
    for (const file of new Set(named)) {
      const path = file === 'backend.tf.example' ? 'deploy/terraform/backend.tf.example' : file;
      expect({
        file,
        exists: (() => {
          try {
            read(path);
            return true;
          } catch {
            return false;
          }
        })(),
      }).toEqual({ file, exists: true });
    }
    for (const file of ['ingress.yaml', 'serviceaccount.yaml', 'kustomization.yaml', 'deployment.yaml']) expect(guide).toContain(file);
  });

  it('no doc still ships the Lambda on nodejs20.x or builds it with `npm install` (no lockfile)', () => {
    for (const doc of DOCS) {
      const text = read(doc);
      expect({ doc, node20Runtime: text.includes('nodejs20.x'), lambdaNpmInstall: /dag-trigger[^\n]*npm install|^npm install && npm run/m.test(text) }).toEqual(
        {
          doc,
          node20Runtime: false,
          lambdaNpmInstall: false,
        },
      );
    }
  });
});
