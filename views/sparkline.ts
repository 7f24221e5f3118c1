const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * A compact text chart of `values` (oldest first), one bar per value; longer series are
 * averaged into `width` buckets. The lowest value is ▁ and the highest █ (scaled between the
 * series' own min and max); a flat series is all ▁, and non-finite values are skipped.
 * Empty input gives ''.
 */
export function sparkline(values: readonly number[], width = 30): string {
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width must be a positive integer, got ${width}`);
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const buckets = finite.length <= width ? finite : bucketMeans(finite, width);
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  // Differences below a billionth of the values are float noise (a weighted mean of a constant), not a trend.
  const span = max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max)) ? 0 : max - min;
  return buckets.map((v) => BARS[span === 0 ? 0 : Math.min(BARS.length - 1, Math.floor(((v - min) / span) * BARS.length))]).join('');
}

/** Averages `values` into `width` nearly equal consecutive buckets. */
function bucketMeans(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    const slice = values.slice(from, Math.max(to, from + 1));
    out.push(slice.reduce((a, b) => a + b, 0) / slice.length);
  }
  return out;
}
