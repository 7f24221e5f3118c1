import { fileConfigSchema } from '../../src/config/config-schema';
import { checkCommandLine } from '../../src/core/check-command-line';
import { configuredEndpoints } from '../../src/core/configured-endpoints';
import { ErrorCode, isMlopsError, type MlopsError } from '../../src/core/errors';
import { parseCommandLine } from '../../src/core/parse-command-line';
import { resolveModel } from '../../src/core/resolve-model';
import { resolveStatusTarget } from '../../src/core/resolve-status-target';

const config = fileConfigSchema.parse({
  models: {
    'fraud-detector': { trainingDag: 'fraud_training', endpoint: 'fraud-detector-prod' },
    'churn-predictor': { endpoint: 'churn-predictor-prod' },
    'shared-a': { endpoint: 'shared-endpoint' },
    'shared-b': { endpoint: 'shared-endpoint' },
    'no-endpoint': {},
  },
});

function thrown(fn: () => unknown): MlopsError {
  try {
    fn();
  } catch (error) {
    if (isMlopsError(error)) return error;
    throw error;
  }
  throw new Error('expected an MlopsError');
}

describe('resolveModel', () => {
  it('finds configured models, ignoring case and surrounding spaces', () => {
    expect(resolveModel('fraud-detector', config).name).toBe('fraud-detector');
    expect(resolveModel(' Fraud-Detector ', config).name).toBe('fraud-detector');
    expect(resolveModel('churn-predictor', config).config.endpoint).toBe('churn-predictor-prod');
  });

  it('answers an unknown model with the configured list and a did-you-mean', () => {
    const error = thrown(() => resolveModel('fraud-detektor', config));
    expect(error.code).toBe(ErrorCode.UnknownModel);
    expect(error.message).toContain('Did you mean `fraud-detector`?');
    expect(error.message).toContain('Configured models: `fraud-detector`, `churn-predictor`, `shared-a`, `shared-b`, `no-endpoint`.');
    expect(error.details).toMatchObject({ input: 'fraud-detektor', suggestion: 'fraud-detector' });
  });

  it('lists the models without a suggestion when nothing is close, and says when none are configured', () => {
    const far = thrown(() => resolveModel('zzzzzzzzzz', config));
    expect(far.message).not.toContain('Did you mean');
    expect(far.message).toContain('Configured models:');
    const none = thrown(() => resolveModel('x', fileConfigSchema.parse({})));
    expect(none.code).toBe(ErrorCode.UnknownModel);
    expect(none.message).toMatch(/no models are configured yet.*`models:`/);
  });

  it('does not echo an enormous input back', () => {
    expect(thrown(() => resolveModel('x'.repeat(5000), config)).message.length).toBeLessThan(400);
  });
});

describe('resolveStatusTarget and configuredEndpoints', () => {
  it('maps a model to its endpoint and an endpoint to itself and its model', () => {
    expect(resolveStatusTarget('fraud-detector', config)).toEqual({ endpoint: 'fraud-detector-prod', model: 'fraud-detector' });
    expect(resolveStatusTarget('churn-predictor-prod', config)).toEqual({ endpoint: 'churn-predictor-prod', model: 'churn-predictor' });
  });

  it('names the missing setting for a model without endpoint, and suggests for typos of endpoints', () => {
    const missing = thrown(() => resolveStatusTarget('no-endpoint', config));
    expect(missing.code).toBe(ErrorCode.ConfigInvalid);
    expect(missing.message).toContain('`models.no-endpoint.endpoint`');
    const typo = thrown(() => resolveStatusTarget('fraud-detector-prd', config));
    expect(typo.code).toBe(ErrorCode.UnknownModel);
    expect(typo.details['suggestion']).toBe('fraud-detector-prod');
  });

  it('lists each endpoint once with the first model naming it', () => {
    expect(configuredEndpoints(config)).toEqual([
      { endpoint: 'fraud-detector-prod', model: 'fraud-detector' },
      { endpoint: 'churn-predictor-prod', model: 'churn-predictor' },
      { endpoint: 'shared-endpoint', model: 'shared-a' },
    ]);
  });
});

describe('checkCommandLine', () => {
  const check = (usage: string, text: string) => checkCommandLine(usage, parseCommandLine(text), config);

  it('accepts complete lines and ignores optional and key=value placeholders', () => {
    expect(() => check('train <model> [key=value…]', 'train fraud-detector epochs=3')).not.toThrow();
    expect(() => check('status [model|endpoint]', 'status')).not.toThrow();
    expect(() => check('history <model> [n]', 'history fraud-detector 5')).not.toThrow();
    expect(() => check('deploy <model> <version>', 'deploy fraud-detector 1.4.0')).not.toThrow();
  });

  it('names every missing required argument', () => {
    const error = thrown(() => check('deploy <model> <version>', 'deploy'));
    expect(error.code).toBe(ErrorCode.CommandInvalid);
    expect(error.message).toBe('missing <model> and <version>');
    expect(thrown(() => check('history <model> [n]', 'history')).message).toBe('missing <model>');
  });

  it('checks arguments in a <model> position against the configured models', () => {
    expect(thrown(() => check('train <model> [key=value…]', 'train frud-detector')).code).toBe(ErrorCode.UnknownModel);
    expect(thrown(() => check('rollback <model> [version]', 'rollback nope')).code).toBe(ErrorCode.UnknownModel);
    // Not a model position: left to the command.
    expect(() => check('status [model|endpoint]', 'status anything')).not.toThrow();
  });
});
