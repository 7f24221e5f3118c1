import { inlineCode } from './inline-code';

/** "DAG `fraud_detector_training`, run `manual__…`": which run a message is about. */
export function runReference(run: { dagId?: string | undefined; runId?: string | undefined } | undefined): string | undefined {
  if (run?.dagId === undefined && run?.runId === undefined) return undefined;
  const parts: string[] = [];
  if (run.dagId !== undefined) parts.push(`DAG ${inlineCode(run.dagId, 260)}`);
  if (run.runId !== undefined) parts.push(`run ${inlineCode(run.runId, 260)}`);
  return parts.join(', ');
}
