/** "2026-11-20 14:30 UTC": a time as plain text, for fallback strings. */
export function utcText(at: Date): string {
  if (Number.isNaN(at.getTime())) return 'unknown time';
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
