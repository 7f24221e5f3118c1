import type { FileConfig } from '../config/config-schema';

export interface ConfiguredEndpoint {
  endpoint: string;
  /** The first configured model that names this endpoint. */
  model: string;
}

/** Every distinct configured endpoint, in config order (two models may share one endpoint). */
export function configuredEndpoints(config: FileConfig): ConfiguredEndpoint[] {
  const seen = new Map<string, ConfiguredEndpoint>();
  for (const [model, m] of Object.entries(config.models)) {
    if (m.endpoint !== undefined && !seen.has(m.endpoint)) seen.set(m.endpoint, { endpoint: m.endpoint, model });
  }
  return [...seen.values()];
}
