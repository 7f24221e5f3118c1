import { truncate } from '../../views/slack-message';

describe('truncate', () => {
  it('keeps short text, cuts long text with a marker, and prefers a word boundary', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('abcdefghijkl', 6)).toBe('abcde…');
    expect(truncate('one two three four five six', 22)).toBe('one two three four…');
  });
  it('never splits a surrogate pair', () => {
    const cut = truncate('ab😀cd', 4);
    expect(cut).toBe('ab…');
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(cut)).toBe(false);
    for (let max = 2; max < 12; max++) {
      const out = truncate('&😀&😀&😀&&&😀😀&', max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)).toBe(false);
    }
  });
});
