import { didYouMean, editDistance, parseCommandLine } from '../../src/core/parse-command-line';
import { isMlopsError } from '../../src/core/errors';

describe('parseCommandLine', () => {
  it('splits subcommand, arguments and key=value options', () => {
    expect(parseCommandLine('train fraud-detector epochs=10 lr=0.01')).toEqual({
      subcommand: 'train',
      args: ['fraud-detector'],
      options: { epochs: '10', lr: '0.01' },
    });
  });
  it('keeps quoted values together, including Slack curly quotes, and = inside quotes', () => {
    expect(parseCommandLine('train m note="two words" tag=\u201Cx y\u201D "a=b"')).toEqual({
      subcommand: 'train',
      args: ['m', 'a=b'],
      options: { note: 'two words', tag: 'x y' },
    });
  });
  it('lowercases the subcommand only and treats blank text as no subcommand', () => {
    expect(parseCommandLine('HELP Train').subcommand).toBe('help');
    expect(parseCommandLine('HELP Train').args).toEqual(['Train']);
    expect(parseCommandLine('   ')).toEqual({ subcommand: undefined, args: [], options: {} });
  });
  it('refuses a repeated key and an unclosed quote with a coded error', () => {
    for (const text of ['train m a=1 a=2', 'train m note="open']) {
      try {
        parseCommandLine(text);
        throw new Error('expected a failure');
      } catch (error) {
        expect(isMlopsError(error, 'MLOPS_COMMAND_INVALID')).toBe(true);
      }
    }
    expect(() => parseCommandLine('train m a=1 a=2')).toThrow(/option "a" is given twice/);
  });
  it('suggests the nearest name', () => {
    expect(editDistance('stauts', 'status')).toBe(2);
    expect(didYouMean('stauts', ['help', 'status', 'train'])).toBe('status');
    expect(didYouMean('hist', ['help', 'history'])).toBe('history');
    expect(didYouMean('zzzzzz', ['help', 'status'])).toBeUndefined();
  });
});
