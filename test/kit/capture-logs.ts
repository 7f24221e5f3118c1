import { Writable } from 'node:stream';

/** A pino destination that keeps every line, for assertions on logs (and secret scans). */
export function captureLogs(): { stream: Writable; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(line);
      cb();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}
