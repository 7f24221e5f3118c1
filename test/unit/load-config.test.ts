import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config';

const baseEnv = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'sign-secret' };
const fromYaml = (text: string | undefined) => () => text;

describe('loadConfig', () => {
  it('runs with an empty configuration and a warning when there is no config file', () => {
    const result = loadConfig(baseEnv, fromYaml(undefined));
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.fileFound).toBe(false);
    expect(result.config.file.models).toEqual({});
    expect(result.config.env.PORT).toBe(3000);
    expect(result.config.env.HOST).toBe('0.0.0.0');
    expect(result.warnings.join('\n')).toMatch(/no config file at \.\/mlops\.config\.yml/);
    expect(result.warnings.join('\n')).toMatch(/REDIS_URL is not set.*ONE replica/);
  });

  it('reports every environment problem at once, one line each, naming the variable', () => {
    const result = loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', PIPELINE_WEBHOOK_SECRET: 'short' }, fromYaml(undefined));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(result.problems.length).toBeGreaterThanOrEqual(6);
    expect(text).toMatch(/^SLACK_BOT_TOKEN: is required/m);
    expect(text).toMatch(/^SLACK_SIGNING_SECRET: is required in HTTP mode/m);
    expect(text).toMatch(/^PORT: expected a port number/m);
    expect(text).toMatch(/^LOG_LEVEL: expected one of fatal, error/m);
    expect(text).toMatch(/^REDIS_URL: expected redis:\/\//m);
    expect(text).toMatch(/^PIPELINE_WEBHOOK_SECRET: must be at least 16 characters/m);
    for (const line of result.problems) expect(line).not.toMatch(/\n|at .*\.ts:\d+/);
  });

  it('accepts Socket Mode without a signing secret', () => {
    const result = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A-abc' }, fromYaml(undefined));
    expect(result.ok).toBe(true);
  });

  it('parses the contract example config with defaults filled in', () => {
    const yaml = `
slack:
  defaultChannel: C0DEFAULT
  alertChannel: C0ALERTS
approvers:
  users: [U0ALICE]
  usergroups: [S0MLOPS]
operators:
  users: []
  usergroups: []
trigger:
  kind: lambda
  functionName: mlops-dag-trigger
sns:
  topicArns: [arn:aws:sns:us-east-1:123456789012:mlops-events]
models:
  fraud-detector:
    channel: C0FRAUD
    trainingDag: fraud_detector_training
    deploymentDag: fraud_detector_deployment
    endpoint: fraud-detector-prod
    primaryMetric: f1
    metrics: { f1: maximize, precision: maximize, recall: maximize, mse: minimize }
    approvers: { users: [], usergroups: [] }
    requiredApprovals: 1
`;
    const result = loadConfig({ ...baseEnv, MLOPS_CONFIG: '/etc/mlops.yml' }, fromYaml(yaml));
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const model = result.config.file.models['fraud-detector'];
    expect(model?.metrics['mse']).toBe('minimize');
    expect(result.config.file.trigger).toEqual({ kind: 'lambda', functionName: 'mlops-dag-trigger' });
    expect(result.config.file.approvals.forbidSelfApproval).toBe(true);
    expect(result.config.file.deployments.lockTimeoutMinutes).toBe(60);
    expect(result.config.file.alerts.groupWindowMinutes).toBe(10);
    expect(result.config.configPath).toBe('/etc/mlops.yml');
  });

  it('reports every config-file problem with its key path and what is expected', () => {
    const file = {
      slack: { defaultChannel: 'general' },
      approvers: { users: ['alice'] },
      trigger: { kind: 'lambda' },
      models: {
        'fraud-detector': { channel: 'C0FRAUD', primaryMetric: 'auc', metrics: { f1: 'up' }, requiredApprovals: 0, endpiont: 'x' },
      },
      unknownTop: 1,
    };
    const result = loadConfig({ ...baseEnv, MLOPS_CONFIG: 'mlops.yml' }, fromYaml(stringify(file)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(text).toMatch(/^mlops\.yml: slack\.defaultChannel: expected a Slack channel id/m);
    expect(text).toMatch(/^mlops\.yml: approvers\.users\.0: expected a Slack user id/m);
    expect(text).toMatch(/^mlops\.yml: trigger\.functionName: /m);
    expect(text).toMatch(/^mlops\.yml: models\.fraud-detector\.metrics\.f1: /m);
    expect(text).toMatch(/^mlops\.yml: models\.fraud-detector\.requiredApprovals: /m);
    expect(text).toMatch(/unknown key\(s\) "endpiont"/);
    expect(text).toMatch(/unknown key\(s\) "unknownTop"/);
  });

  it('reports YAML syntax errors with a line number, and a missing explicit config file', () => {
    const bad = loadConfig({ ...baseEnv, MLOPS_CONFIG: 'x.yml' }, fromYaml('models:\n  a: [unclosed\n'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0]).toMatch(/^x\.yml: line \d+: /);
    const missing = loadConfig({ ...baseEnv, MLOPS_CONFIG: '/nope.yml' }, fromYaml(undefined));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.problems).toContain('MLOPS_CONFIG: file /nope.yml does not exist');
  });

  it('refuses a primary metric that is not among the model metrics', () => {
    const file = { models: { m: { primaryMetric: 'auc', metrics: { f1: 'maximize' } } } };
    const result = loadConfig(baseEnv, fromYaml(stringify(file)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(/models\.m\.primaryMetric: "auc" is not one of this model's metrics \(f1\)/);
  });
});

describe('shipped example config', () => {
  it('mlops.config.example.yml is valid as shipped', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'mlops.config.example.yml'), 'utf8');
    const result = loadConfig({ ...baseEnv, MLOPS_CONFIG: 'mlops.config.example.yml' }, () => text);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(Object.keys(result.config.file.models)).toEqual(['fraud-detector']);
    expect(result.config.file.deployments).toEqual({ lockTimeoutMinutes: 60, recoveryGraceSeconds: 120, recoveryIntervalSeconds: 30 });
  });
});
