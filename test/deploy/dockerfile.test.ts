import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Dockerfile, read as text (no image builder in `npm test`: deploy/verify-image.sh builds and
 * runs it with buildah where a base image can be had). Checks the stages, that the runtime gets
 * production dependencies only, runs as non-root with a /healthz HEALTHCHECK and `node
 * dist/src/main.js`, that it starts without a mounted config file, and that every path it COPYs
 * exists and is not hidden by .dockerignore.
 */

const ROOT = join(__dirname, '..', '..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Joins `\` continuations, drops comments and blank lines. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (match) out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
  });
  return out;
}

function stages(all: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of all) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      out.push({ base: m?.[1] ?? ins.args, name: m?.[2] ?? String(out.length), instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

/** COPY/ADD: flags, sources and destination (shell or JSON form). */
function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)=(\S+)\s+/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

/** Exec-form JSON array, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) ? (parsed as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** .dockerignore patterns as anchored regexes (`**`, `*`, `?`; a match on a parent excludes its children). */
function dockerignore(): RegExp[] {
  const text = existsSync(join(ROOT, '.dockerignore')) ? readFileSync(join(ROOT, '.dockerignore'), 'utf8') : '';
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((pattern) => {
      const body = pattern
        .replace(/^\/+|\/+$/g, '')
        .split('')
        .map((c) => (/[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c))
        .join('')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replaceAll('\u0000', '(?:.*/)?');
      return new RegExp(`^${body}$`);
    });
}

function ignored(path: string, patterns: RegExp[]): boolean {
  const parts = path.replace(/^\.\/|\/$/g, '').split('/');
  return parts.some((_, i) => patterns.some((re) => re.test(parts.slice(0, i + 1).join('/'))));
}

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const all = stages(instructions(text));
const runtime = all.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('is multi-stage on node:22-bookworm-slim (the AWS SDK v3 drops Node 20 in 2027)', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const stage of all) expect(stage.base).toBe('node:22-bookworm-slim');
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
    // The runtime is built from other stages' outputs, not by compiling itself.
    expect(of(runtime, 'COPY').some((c) => copyArgs(c.args).flags['from'] !== undefined)).toBe(true);
    expect(of(runtime, 'RUN').filter((r) => /\bnpm\s+(ci|install|i)\b|\btsc\b|npm run build/.test(r.args))).toEqual([]);
  });

  it('the runtime node_modules come from a stage that ran `npm ci --omit=dev` and nothing else installs there', () => {
    const modules = of(runtime, 'COPY')
      .map((c) => copyArgs(c.args))
      .filter((c) => c.sources.some((s) => /node_modules\/?$/.test(s)));
    expect(modules).toHaveLength(1);
    const from = all.find((s) => s.name === modules[0]!.flags['from']);
    expect(from).toBeDefined();
    const installs = of(from!, 'RUN').filter((r) => /\bnpm\s+(ci|install|i)\b/.test(r.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/\bnpm ci\b[^&;]*--omit=dev/);
    // That stage gets only the manifest and lock file: no sources, no dev tooling.
    const copied = of(from!, 'COPY').flatMap((c) => copyArgs(c.args).sources);
    expect(copied.sort()).toEqual(['package-lock.json', 'package.json']);
  });

  it('the build stage compiles everything tsconfig.build.json includes, with the lock file', () => {
    const build = all.find((s) => of(s, 'RUN').some((r) => /npm run build|\btsc\b/.test(r.args)));
    expect(build).toBeDefined();
    const copied = new Set(of(build!, 'COPY').flatMap((c) => copyArgs(c.args).sources.map((s) => s.replace(/\/$/, ''))));
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { extends?: string; include: string[] };
    for (const dir of tsconfig.include) expect(copied).toContain(dir);
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(copied).toContain(file);
    expect(of(build!, 'RUN').some((r) => /\bnpm ci\b/.test(r.args))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const users = of(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    // The user comes before the command, so CMD runs as that user.
    const cmd = of(runtime, 'CMD').at(-1)!;
    expect(users.at(-1)!.line).toBeLessThan(cmd.line);
    // Files the app reads are owned by it (COPY without --chown would leave root-owned files: fine to
    // read, but be explicit so a later write, e.g. a cache, does not fail).
    for (const copy of of(runtime, 'COPY')) expect(copyArgs(copy.args).flags['chown']).toMatch(new RegExp(`^${user}(:|$)`));
  });

  it('HEALTHCHECK probes /healthz on the configured PORT', () => {
    const health = of(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]!.args).toMatch(/\bCMD\b/);
    expect(health[0]!.args).toContain('/healthz');
    expect(health[0]!.args).toContain('process.env.PORT');
    expect(health[0]!.args).toMatch(/--timeout=\d+s/);
  });

  it('CMD is exec-form `node dist/src/main.js` (signals reach node; npm start would rebuild), matching the build output', () => {
    const cmd = execForm(of(runtime, 'CMD').at(-1)!.args);
    expect(cmd).toEqual(['node', 'dist/src/main.js']);
    expect(of(runtime, 'ENTRYPOINT')).toEqual([]);
    // tsc -p tsconfig.build.json puts src/main.ts at dist/src/main.js, which `npm start` runs too.
    const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(base.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(existsSync(join(ROOT, 'src', 'main.ts'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toBe('node dist/src/main.js');
    const workdir = of(runtime, 'WORKDIR').at(-1)!.args;
    const dist = of(runtime, 'COPY')
      .map((c) => copyArgs(c.args))
      .find((c) => c.sources.includes('/app/dist'));
    expect(dist?.dest.replace(/^\.\//, `${workdir}/`).replace(/\/$/, '')).toBe(`${workdir}/dist`);
  });

  it('starts without a mounted config file: MLOPS_CONFIG is not forced to a file the image lacks', () => {
    const env = of(runtime, 'ENV')
      .map((e) => e.args)
      .join(' ');
    const forced = /\bMLOPS_CONFIG=(\S+)/.exec(env)?.[1];
    if (forced !== undefined) {
      const copiedTo = of(runtime, 'COPY').flatMap((c) => {
        const { sources, dest } = copyArgs(c.args);
        return sources.map((s) => `${dest.replace(/\/$/, '')}/${s.split('/').at(-1)}`);
      });
      expect(copiedTo.map((p) => p.replace(/^\.\//, `${of(runtime, 'WORKDIR').at(-1)!.args}/`))).toContain(forced);
    }
    // EXPOSE matches the default PORT.
    const port = /\bPORT=(\d+)/.exec(env)?.[1];
    expect(of(runtime, 'EXPOSE').map((e) => e.args)).toEqual([port]);
  });

  it('sets no secrets and no build args that could carry them', () => {
    for (const ins of all.flatMap((s) => s.instructions)) {
      if (ins.keyword === 'ENV' || ins.keyword === 'ARG') expect(ins.args).not.toMatch(/TOKEN|SECRET|PASSWORD|AWS_ACCESS|AWS_SECRET/i);
    }
  });

  it('every path it COPYs from the context exists and is not excluded by .dockerignore', () => {
    const patterns = dockerignore();
    const sources = all
      .flatMap((s) => of(s, 'COPY').concat(of(s, 'ADD')))
      .map((c) => copyArgs(c.args))
      .filter((c) => c.flags['from'] === undefined)
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    const missing = sources.filter((s) => !existsSync(join(ROOT, s)));
    const hidden = sources.filter((s) => ignored(s, patterns));
    expect({ missing, hidden }).toEqual({ missing: [], hidden: [] });
  });

  it('.dockerignore keeps dependencies, build output, git and secrets out of the context', () => {
    const patterns = dockerignore();
    for (const path of ['node_modules', 'lambda/dag-trigger/node_modules', 'dist', '.git', '.env']) expect(ignored(path, patterns)).toBe(true);
    for (const path of ['src', 'package-lock.json', 'manifest.yml']) expect(ignored(path, patterns)).toBe(false);
  });
});
