/** The production baseline of a model: the last version that reached deployment.succeeded. */
export interface ProductionRecord {
  model: string;
  version: string;
  candidateId?: string;
  metrics: Record<string, number>;
  endpoint?: string;
  deployedAt: string;
  approvedBy?: string[];
}
