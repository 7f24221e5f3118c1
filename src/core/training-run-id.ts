/**
 * The dag_run_id of a training run requested from Slack:
 * `mlops_train__<model>__<UTC yyyymmddThhmmssZ>__<nonce>`. Deterministic in its inputs, so a
 * confirmed request reuses the id chosen when it was asked for (a double click triggers the
 * same run, which Airflow refuses as a duplicate), and valid for Airflow, which allows only
 * `[A-Za-z0-9_.~:+-]` (anything else in the model name or nonce becomes `-`).
 */
export function trainingRunId(model: string, at: Date, nonce: string): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `mlops_train__${model}__${stamp}__${nonce}`.replace(/[^A-Za-z0-9_.~:+-]/g, '-').slice(0, 250);
}
