// Builds what ships: src/handler.ts bundled by esbuild into one file (handler "handler.handler",
// Lambda runtime nodejs22.x) and, unless --bundle-only, that file alone in a zip for Lambda.
// `npm run package` -> dist/handler.js + dist/dag-trigger.zip; deploy/terraform uploads the zip,
// `aws lambda update-function-code --zip-file fileb://dist/dag-trigger.zip` does too.
// The zip is reproducible (fixed timestamp and mode): the same source gives the same bytes,
// so Terraform's source_code_hash changes only when the code does.
//   node scripts/package.mjs [--bundle-only] [--outdir <dir>]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outdirAt = args.indexOf('--outdir');
const outdir = outdirAt >= 0 ? resolve(args[outdirAt + 1] ?? '') : join(PACKAGE_DIR, 'dist');
const bundleOnly = args.includes('--bundle-only');

const bundlePath = join(outdir, 'handler.js');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(PACKAGE_DIR, 'src', 'handler.ts')],
  absWorkingDir: PACKAGE_DIR,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  outfile: bundlePath,
  legalComments: 'none',
  logLevel: 'warning',
});

if (!bundleOnly) {
  const zipPath = join(outdir, 'dag-trigger.zip');
  writeFileSync(zipPath, zipOneFile('handler.js', readFileSync(bundlePath)));
  process.stdout.write(`${zipPath}\n`);
} else {
  process.stdout.write(`${bundlePath}\n`);
}

/** A zip archive (APPNOTE 6.3, deflate) holding one file, mode 0644, dated 1980-01-01 00:00. */
function zipOneFile(name, data) {
  const nameBytes = Buffer.from(name, 'utf8');
  const compressed = deflateRawSync(data, { level: 9 });
  const crc = crc32(data);
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  local.writeUInt16LE(0x0800, 6); // UTF-8 name
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt16LE(0, 30); // extra
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--: Lambda must read it
  central.writeUInt32LE(0, 42); // offset of the local header

  const centralOffset = local.length + nameBytes.length + compressed.length;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);

  return Buffer.concat([local, nameBytes, compressed, central, nameBytes, end]);
}
