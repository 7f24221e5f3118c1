import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config';
import { approversFor } from '../src/core/authorization';
import { modelWarnings } from '../src/core/model-warnings';

/**
 * Issue 18: a config that parses but leaves a model half-working is reported at startup, one line
 * per problem naming the model, and the shipped example lets its global approver deploy.
 */

const ENV = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'sign-secret', REDIS_URL: 'redis://127.0.0.1:6379/0', MLOPS_CONFIG: '/etc/mlops.yml' };
const EXAMPLE_TEXT = readFileSync(join(__dirname, '..', 'mlops.config.example.yml'), 'utf8');
const example = () => parse(EXAMPLE_TEXT) as Record<string, unknown> & { models: Record<string, Record<string, unknown>> };

function warningsFor(file: unknown, env: Record<string, string> = { ...ENV, AWS_REGION: 'us-east-1' }): string[] {
  const result = loadConfig(env, () => stringify(file));
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return startupWarnings(result);
}

/** What main.ts logs at startup: the loader's warnings, then the models' (core/model-warnings.ts). */
function startupWarnings(result: Extract<ReturnType<typeof loadConfig>, { ok: true }>): string[] {
  return [...result.warnings, ...modelWarnings(result.config.file, result.config.env)];
}

describe('startup checks of the config', () => {
  it('the shipped example, with AWS_REGION set, starts without a warning and its global approver may deploy fraud-detector', () => {
    const result = loadConfig({ ...ENV, AWS_REGION: 'us-east-1' }, () => EXAMPLE_TEXT);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(startupWarnings(result)).toEqual([]);
    expect(approversFor(result.config.file, 'fraud-detector').users).toContain('U0ALICE');
  });

  it('a model approver list that names nobody means the global list (contract 3); one that names someone replaces it', () => {
    const emptyOwn = example();
    emptyOwn.models['fraud-detector']!['approvers'] = { users: [], usergroups: [] };
    const loaded = loadConfig(ENV, () => stringify(emptyOwn));
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(approversFor(loaded.config.file, 'fraud-detector')).toEqual({ users: ['U0ALICE'], usergroups: ['S0MLOPS'] });

    const own = example();
    own.models['fraud-detector']!['approvers'] = { users: ['U0BOB'] };
    const loadedOwn = loadConfig(ENV, () => stringify(own));
    if (!loadedOwn.ok) throw new Error(loadedOwn.problems.join('\n'));
    expect(approversFor(loadedOwn.config.file, 'fraud-detector')).toEqual({ users: ['U0BOB'], usergroups: [] });
  });

  it('warns, naming the model, when a deployable model ends up with no approver at all', () => {
    const file = { ...example(), approvers: { users: [], usergroups: [] } };
    file.models['fraud-detector']!['approvers'] = { users: [], usergroups: [] };
    const warnings = warningsFor(file);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^models\.fraud-detector: nobody may deploy.*no approvers \(set approvers\.users\/usergroups, or models\.fraud-detector\.approvers\)$/,
      ),
    ]);
  });

  it('does not warn about approvers for a model without a deployment DAG (notifications only)', () => {
    const file = { ...example(), approvers: { users: [], usergroups: [] } };
    delete file.models['fraud-detector']!['deploymentDag'];
    expect(warningsFor(file)).toEqual([]);
  });

  it('warns, naming the model, when it has no channel and there is no slack.defaultChannel', () => {
    const file = { ...example(), slack: { alertChannel: 'C0ALERTS' } };
    delete file.models['fraud-detector']!['channel'];
    expect(warningsFor(file)).toEqual([
      expect.stringMatching(/^models\.fraud-detector: no channel and no slack\.defaultChannel: its events will be refused with 422/),
    ]);
    // The default channel is enough.
    expect(warningsFor({ ...file, slack: { defaultChannel: 'C0DEFAULT' } })).toEqual([]);
  });

  it('warns when a trigger is configured but AWS_REGION is not set, naming the models whose DAGs it starts', () => {
    const warnings = warningsFor(example(), ENV);
    expect(warnings).toEqual([expect.stringMatching(/^AWS_REGION is not set: trigger\.kind lambda cannot start the DAGs of fraud-detector .*set AWS_REGION/)]);
    const noTrigger = example();
    delete noTrigger['trigger'];
    expect(warningsFor(noTrigger, ENV)).toEqual([]);
  });

  it('reports each problem on its own line', () => {
    const file = { ...example(), slack: {}, approvers: { users: [], usergroups: [] } };
    delete file.models['fraud-detector']!['channel'];
    file.models['churn'] = { channel: 'C0CHURN', deploymentDag: 'churn_deployment' };
    const warnings = warningsFor(file, ENV);
    expect(warnings.filter((w) => w.startsWith('models.fraud-detector: '))).toHaveLength(2);
    expect(warnings.filter((w) => w.startsWith('models.churn: '))).toHaveLength(1);
    expect(warnings.filter((w) => w.startsWith('AWS_REGION'))).toHaveLength(1);
    for (const line of warnings) expect(line).not.toContain('\n');
  });
});
