/** The function's settings, read once per cold start from its environment. */
export interface LambdaConfig {
  /** MWAA environment name (`MWAA_ENVIRONMENT`). */
  environment: string;
  /** DAG ids this function may start or inspect (`ALLOWED_DAGS`, comma-separated). */
  allowedDags: ReadonlySet<string>;
  region: string;
  /** `AWS_ENDPOINT_URL_MWAA`, else `AWS_ENDPOINT_URL`: the SDK's standard overrides. */
  endpoint?: string;
}

export type LambdaConfigResult = { ok: true; value: LambdaConfig } | { ok: false; problems: string[] };

const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** One readable line per problem, so a misconfigured function says what to fix. */
export function lambdaConfig(env: Readonly<Record<string, string | undefined>>): LambdaConfigResult {
  const problems: string[] = [];
  const environment = env.MWAA_ENVIRONMENT?.trim() ?? '';
  if (environment === '') problems.push('MWAA_ENVIRONMENT: missing; expected the name of the Amazon MWAA environment');
  else if (!/^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/.test(environment)) {
    problems.push(`MWAA_ENVIRONMENT: "${environment}" is not an MWAA environment name (a letter, then letters, digits, - or _; at most 80)`);
  }

  const names = (env.ALLOWED_DAGS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    problems.push('ALLOWED_DAGS: missing or empty; expected comma-separated DAG ids, e.g. fraud_detector_training,fraud_detector_deployment');
  for (const name of names) {
    if (!DAG_ID.test(name)) problems.push(`ALLOWED_DAGS: "${name}" is not a valid Airflow DAG id (letters, digits, _ . -)`);
  }

  const region = (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '').trim();
  if (region === '') problems.push('AWS_REGION: missing; expected an AWS region such as us-east-1 (Lambda sets it)');

  const endpoint = env.AWS_ENDPOINT_URL_MWAA ?? env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined && endpoint !== '') {
    try {
      const url = new URL(endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      problems.push(`AWS_ENDPOINT_URL_MWAA: "${endpoint}" is not an http(s) URL`);
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: { environment, allowedDags: new Set(names), region, ...(endpoint !== undefined && endpoint !== '' && { endpoint }) },
  };
}
