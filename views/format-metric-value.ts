/**
 * A metric value in plain words: counts as grouped integers ("1,234"), milliseconds and
 * percentages with one decimal below 100 ("45.2 ms", "7.5%"). Missing or non-finite values are "–".
 * `unit`: 'count', 'ms', 'percent', or any other unit, shown after the number as given.
 */
export function formatMetricValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const decimals = unit === 'count' || Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1;
  // toFixed + a regex, not toLocaleString: Intl formatting was the costliest part of `status`.
  const [whole = '0', fraction] = value.toFixed(decimals).split('.');
  const number = `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`.replace(/^-(0(\.0)?)$/, '$1');
  switch (unit) {
    case 'ms':
      return `${number} ms`;
    case 'percent':
      return `${number}%`;
    default:
      return number;
  }
}
