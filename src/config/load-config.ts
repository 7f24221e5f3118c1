import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { envSchema, fileConfigSchema, type Config, type EnvConfig } from './config-schema';

export type LoadConfigResult = { ok: true; config: Config; warnings: string[] } | { ok: false; problems: string[] };

type ReadFile = (path: string) => string | undefined;

const readFileIfExists: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

function describe(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = prefix === 'env' ? path || '(environment)' : `${prefix}: ${path || '(top level)'}`;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see mlops.config.example.yml)`;
    return `${where}: ${message}`;
  });
}

/**
 * Parses the environment and the YAML config file once, reporting every problem at once.
 * The only reader of process.env is src/main.ts, which passes it here.
 */
export function loadConfig(rawEnv: NodeJS.ProcessEnv, readFile: ReadFile = readFileIfExists): LoadConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const env = envSchema.safeParse(rawEnv);
  if (!env.success) problems.push(...describe('env', env.error.issues));
  // Checked apart from the schema so it is reported even when other variables are bad too.
  if (!nonEmpty(rawEnv.SLACK_APP_TOKEN) && !nonEmpty(rawEnv.SLACK_SIGNING_SECRET)) {
    problems.push('SLACK_SIGNING_SECRET: is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)');
  }

  const configPath = (typeof rawEnv.MLOPS_CONFIG === 'string' && rawEnv.MLOPS_CONFIG) || './mlops.config.yml';
  let text: string | undefined;
  try {
    text = readFile(configPath);
  } catch (error) {
    problems.push(`MLOPS_CONFIG: cannot read ${configPath}: ${(error as Error).message}`);
  }
  let fileValue: unknown = {};
  if (text === undefined) {
    if (rawEnv.MLOPS_CONFIG !== undefined) problems.push(`MLOPS_CONFIG: file ${configPath} does not exist`);
    else warnings.push(`no config file at ${configPath}: running with an empty configuration (copy mlops.config.example.yml to start)`);
  } else {
    const doc = parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const err of doc.errors) problems.push(`${configPath}: line ${err.linePos?.[0].line ?? '?'}: ${err.message.split('\n')[0]}`);
    } else {
      fileValue = doc.toJS() ?? {};
    }
  }
  const file = fileConfigSchema.safeParse(fileValue);
  if (!file.success) problems.push(...describe(configPath, file.error.issues));

  if (env.success) problems.push(...redisProblems(env.data, readFileIfExists));

  if (problems.length > 0 || !env.success || !file.success) return { ok: false, problems };
  if (env.data.REDIS_URL === undefined) {
    warnings.push('REDIS_URL is not set: using the in-memory store, which is for ONE replica only and loses state on restart');
  }
  return { ok: true, config: { env: env.data, file: file.data, fileFound: text !== undefined, configPath }, warnings };
}

/** Redis settings that parse one by one but do not fit together, or a CA file that is not one. */
function redisProblems(env: EnvConfig, readFile: ReadFile): string[] {
  const problems: string[] = [];
  const url = env.REDIS_URL;
  if (env.REDIS_CLUSTER && url === undefined)
    problems.push(
      'REDIS_CLUSTER: is true but REDIS_URL is not set (set REDIS_URL to one node of the cluster, e.g. rediss://my-cache.serverless.use1.cache.amazonaws.com:6379)',
    );
  if (env.REDIS_CLUSTER && url !== undefined && !/^\/?0?$/.test(new URL(url).pathname)) {
    problems.push('REDIS_URL: a Redis Cluster has only database 0: drop the /<db> from the URL (or unset REDIS_CLUSTER)');
  }
  if (env.REDIS_CA_FILE !== undefined) {
    if (!url?.startsWith('rediss:')) problems.push('REDIS_CA_FILE: is set but REDIS_URL is not rediss:// (TLS): use rediss:// or unset REDIS_CA_FILE');
    let pem: string | undefined;
    try {
      pem = readFile(env.REDIS_CA_FILE);
    } catch (error) {
      problems.push(`REDIS_CA_FILE: cannot read ${env.REDIS_CA_FILE}: ${(error as Error).message}`);
    }
    if (pem === undefined) {
      if (!problems.some((p) => p.startsWith(`REDIS_CA_FILE: cannot read`))) problems.push(`REDIS_CA_FILE: file ${env.REDIS_CA_FILE} does not exist`);
    } else if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push(`REDIS_CA_FILE: ${env.REDIS_CA_FILE} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
    }
  }
  return problems;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}
