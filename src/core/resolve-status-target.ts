import type { FileConfig } from '../config/config-schema';
import { ErrorCode, MlopsError } from './errors';
import { configuredEndpoints } from './configured-endpoints';
import { unknownModelError } from './resolve-model';

export interface StatusTarget {
  endpoint: string;
  /** The configured model served by this endpoint, when one is. */
  model?: string;
}

/**
 * `status <model|endpoint>`: a model name gives its endpoint; a configured endpoint name gives
 * itself (and its model). Only configured endpoints are inspected, so the command cannot be
 * used to probe arbitrary SageMaker resources.
 */
export function resolveStatusTarget(input: string, config: FileConfig): StatusTarget {
  const typed = input.trim().toLowerCase();
  const models = Object.entries(config.models);
  const byModel = models.find(([name]) => name.toLowerCase() === typed);
  if (byModel !== undefined) {
    const [name, model] = byModel;
    if (model.endpoint === undefined) {
      throw new MlopsError(ErrorCode.ConfigInvalid, `${name} has no endpoint configured: set \`models.${name}.endpoint\` in the config file.`, {
        model: name,
        missing: `models.${name}.endpoint`,
      });
    }
    return { endpoint: model.endpoint, model: name };
  }
  const byEndpoint = models.find(([, m]) => m.endpoint?.toLowerCase() === typed);
  if (byEndpoint !== undefined) return { endpoint: byEndpoint[1].endpoint as string, model: byEndpoint[0] };
  throw unknownModelError(
    input.trim(),
    models.map(([n]) => n),
    configuredEndpoints(config).map((e) => e.endpoint),
  );
}
