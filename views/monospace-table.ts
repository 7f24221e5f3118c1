/** Columns a cell takes: code points, not UTF-16 units (a character outside the BMP is one column). */
function columns(cell: string): number {
  return Array.from(cell).length;
}

/** Aligns rows into a monospace table (first column left-aligned, the others right-aligned). */
export function monospaceTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - columns(cell));
          return i === 0 ? cell + pad : pad + cell;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
