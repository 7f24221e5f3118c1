import type { FileConfig, ModelConfig } from '../config/config-schema';
import { ErrorCode, MlopsError } from './errors';
import { didYouMean } from './parse-command-line';

export interface ResolvedModel {
  name: string;
  config: ModelConfig;
}

/**
 * The configured model a user typed (case-insensitive). An unknown name is an UnknownModel
 * error whose message lists the configured models and, when one is close, a "did you mean";
 * the same facts ride in `details` for views and tests.
 */
export function resolveModel(input: string, config: FileConfig): ResolvedModel {
  const names = Object.keys(config.models);
  const typed = input.trim();
  const exact = names.find((n) => n === typed) ?? names.find((n) => n.toLowerCase() === typed.toLowerCase());
  if (exact !== undefined) return { name: exact, config: config.models[exact] as ModelConfig };
  throw unknownModelError(typed, names);
}

/** The UnknownModel error for `input` among `names` (also used by `status`, which accepts endpoints too). */
export function unknownModelError(input: string, names: readonly string[], extra: readonly string[] = []): MlopsError {
  const shown = input.length > 60 ? `${input.slice(0, 60)}…` : input;
  if (names.length === 0) {
    return new MlopsError(
      ErrorCode.UnknownModel,
      `"${shown}" is not a configured model, and no models are configured yet: describe them under \`models:\` in the config file.`,
      { input, configured: [] },
    );
  }
  const suggestion = didYouMean(input, [...names, ...extra]);
  const parts = [`"${shown}" is not a configured model.`];
  if (suggestion !== undefined) parts.push(`Did you mean \`${suggestion}\`?`);
  parts.push(`Configured models: ${names.map((n) => `\`${n}\``).join(', ')}.`);
  return new MlopsError(ErrorCode.UnknownModel, parts.join(' '), { input, configured: [...names], ...(suggestion !== undefined ? { suggestion } : {}) });
}
