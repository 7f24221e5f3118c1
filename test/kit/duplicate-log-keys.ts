/**
 * The top-level keys that appear more than once in one JSON log line. pino writes a child's bindings
 * and the call's own fields side by side, so `log.child({ model }).info({ model }, …)` prints `model`
 * twice; JSON.parse would hide it (the last one wins), so this reads the line's keys itself.
 */
export function duplicateLogKeys(line: string): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(line.slice(i, j + 1)) as string;
        if (seen.has(key)) duplicates.add(key);
        seen.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
    i++;
  }
  return [...duplicates];
}
