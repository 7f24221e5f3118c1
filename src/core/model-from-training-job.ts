/** `<model>-<major>-<minor>-<patch>` at the start of a job name, then the end or `-…`. */
const VERSION_AFTER_MODEL = /^(\d{1,6})-(\d{1,6})-(\d{1,6})(?:-|$)/;
const GENERIC = /^([a-z0-9][a-z0-9-_]{0,99}?)-(\d{1,6})-(\d{1,6})-(\d{1,6})(?:-|$)/;

/**
 * Model and version from a SageMaker training job name, the naming rule of the pipeline in
 * PIPELINE.md: `<model>-<major>-<minor>-<patch>-<anything>` (e.g.
 * `fraud-detector-1-4-0-2026-11-24-09-12-03` → fraud-detector 1.4.0). Configured model names
 * are tried first, longest first (so `fraud-detector-v2` wins over `fraud-detector`); failing
 * that, the shortest prefix followed by three numbers is taken as an (unconfigured) model.
 */
export function modelFromTrainingJob(jobName: string, configuredModels: readonly string[]): { model: string; version: string } | undefined {
  const byLength = [...configuredModels].sort((a, b) => b.length - a.length);
  for (const model of byLength) {
    if (!jobName.startsWith(`${model}-`)) continue;
    const m = VERSION_AFTER_MODEL.exec(jobName.slice(model.length + 1));
    if (m !== null) return { model, version: `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}` };
  }
  const g = GENERIC.exec(jobName);
  if (g === null) return undefined;
  return { model: g[1] ?? jobName, version: `${Number(g[2])}.${Number(g[3])}.${Number(g[4])}` };
}
