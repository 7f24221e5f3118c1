import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { z } from 'zod';
import type { SandboxState } from './sandbox-state';
import { NEXT_RUN_KINDS, type NextRun } from './simulated-pipeline';
import type { InteractionResult, SlackInteractions } from './slack-interactions';

/**
 * The sandbox page's server (contract: /tmp/helpers/sandbox-api.md, kept in docs/sandbox.md): the
 * static page, its state as JSON, Server-Sent Events on every change, and the /api routes that turn
 * what a person does into signed Slack requests to the bot (slack-interactions.ts).
 */

const MAX_BODY_BYTES = 256 * 1024;
const KEEPALIVE_MS = 15_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const id = z.string().min(1).max(64);
const commandInput = z.object({ user: id, channel: id, text: z.string().max(4000) });
const actionInput = z.object({
  user: id,
  channel: id.optional(),
  messageTs: z.string().max(32).optional(),
  actionId: z.string().min(1).max(255),
  blockId: z.string().max(255).optional(),
  value: z.string().max(2000).optional(),
  selectedOption: z.unknown().optional(),
  isEphemeral: z.boolean().optional(),
});
const viewSubmissionInput = z.object({
  user: id,
  viewId: id,
  values: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).default({}),
});
const viewCloseInput = z.object({ user: id, viewId: id });
const homeOpenedInput = z.object({ user: id });
const pipelineInput = z.object({ nextRun: z.enum(NEXT_RUN_KINDS as [NextRun, ...NextRun[]]) });
/** The "drift" control (issue 15): a monitor reports drift on a model. */
const driftInput = z.object({
  model: z.string().min(1).max(100),
  signal: z.enum(['data', 'prediction', 'quality']).default('data'),
  severity: z.enum(['low', 'high']).default('low'),
});
export type DriftInput = z.infer<typeof driftInput>;
/** "Skip ahead" (issue 16): the steps the page offers, in what a visitor reads (1 h … 7 days). */
export const SKIP_STEPS = { '1h': 3_600_000, '4h': 4 * 3_600_000, '1d': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000 } as const;
const clockInput = z.object({ skip: z.enum(Object.keys(SKIP_STEPS) as [keyof typeof SKIP_STEPS, ...(keyof typeof SKIP_STEPS)[]]) });
export interface SkipAhead {
  ok: true;
  /** The sandbox's time after the skip. */
  now: string;
  skippedMs: number;
}

/** The Model Registry controls (issue 16): register a package (PendingManualApproval), or decide the latest in Studio. */
const modelPackageInput = z.object({ action: z.enum(['register', 'approve', 'reject']) });
export type ModelPackageInput = z.infer<typeof modelPackageInput>;

export interface SandboxRoutesDeps {
  pageDir: string;
  state(): SandboxState;
  interactions: SlackInteractions;
  setNextRun(next: NextRun): void;
  /** Posts a signed drift.detected for the model, as a monitor would. */
  drift(input: DriftInput): Promise<InteractionResult>;
  /** Moves the sandbox's time forward and lets the bot's jobs run the passes that fell due. */
  skipAhead(ms: number): Promise<SkipAhead>;
  /** A package registered in SageMaker, or approved / rejected there, as its EventBridge event would tell the bot. */
  modelPackage(input: ModelPackageInput): Promise<InteractionResult>;
  reset(): Promise<void>;
  /** Calls `listener` with the new version after every change; returns the unsubscribe. */
  onVersion(listener: (version: number) => void): () => void;
  onError(error: unknown, route: string): void;
  /** A file uploaded to the Slack stand-in (charts), so the page can show `image` blocks with `slack_file`. */
  file?(id: string): { content: Buffer; filename: string } | undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; '));
}

export function createSandboxServer(deps: SandboxRoutesDeps): { server: Server; close(): Promise<void> } {
  const streams = new Set<ServerResponse>();

  function serveFile(res: ServerResponse, id: string): void {
    const file = deps.file?.(id);
    if (file === undefined) throw new HttpError(404, `no uploaded file ${id}`);
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file.filename)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'content-length': String(file.content.length),
    });
    res.end(file.content);
  }

  async function servePage(res: ServerResponse, file: string): Promise<void> {
    // Names only: no path separators, no "..", so nothing outside the page folder is served.
    if (!/^[A-Za-z0-9][\w.-]*$/.test(file) || file.includes('..')) throw new HttpError(404, 'not found');
    let content: Buffer;
    try {
      content = await readFile(join(deps.pageDir, file));
    } catch {
      throw new HttpError(404, `no page file ${file}`);
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'content-length': String(content.length),
    });
    res.end(content);
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 1000\ndata: ${JSON.stringify({ version: deps.state().version })}\n\n`);
    streams.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    const unsubscribe = deps.onVersion((version) => res.write(`data: ${JSON.stringify({ version })}\n\n`));
    req.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/' || path === '/index.html') await servePage(res, 'index.html');
      else if (path.startsWith('/page/')) await servePage(res, decodeURIComponent(path.slice('/page/'.length)));
      else if (path === '/api/state') sendJson(res, 200, deps.state());
      else if (path === '/api/events') openEvents(req, res);
      else if (path === '/healthz') sendJson(res, 200, { ok: true });
      else if (path.startsWith('/files/')) serveFile(res, decodeURIComponent(path.slice('/files/'.length)));
      else throw new HttpError(404, `no route GET ${path}`);
      return;
    }
    if (method !== 'POST') throw new HttpError(405, `${method} is not served`);
    const result = await post(path, await readJson(req));
    // A refused interaction (unknown user, message, modal) is the caller's mistake: 400 with the reason.
    sendJson(res, result.ok ? 200 : 400, result);
  }

  async function post(path: string, body: unknown): Promise<InteractionResult | SkipAhead> {
    switch (path) {
      case '/api/command':
        return deps.interactions.command(parse(commandInput, body));
      case '/api/action':
        return deps.interactions.action(parse(actionInput, body));
      case '/api/view-submission':
        return deps.interactions.submitView(parse(viewSubmissionInput, body));
      case '/api/view-close':
        return deps.interactions.closeView(parse(viewCloseInput, body));
      case '/api/home-opened':
        return deps.interactions.homeOpened(parse(homeOpenedInput, body));
      case '/api/pipeline':
        deps.setNextRun(parse(pipelineInput, body).nextRun);
        return { ok: true };
      case '/api/drift':
        return deps.drift(parse(driftInput, body));
      case '/api/clock':
        return deps.skipAhead(SKIP_STEPS[parse(clockInput, body).skip]);
      case '/api/model-package':
        return deps.modelPackage(parse(modelPackageInput, body));
      case '/api/reset':
        await deps.reset();
        return { ok: true };
      default:
        throw new HttpError(404, `no route POST ${path}`);
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) deps.onError(error, req.url ?? '');
      if (!res.headersSent) sendJson(res, status, { ok: false, error: error instanceof Error ? error.message : String(error) });
      else res.end();
    });
  });
  return {
    server,
    /** Ends the open event streams (they would hold close() forever), then closes the server. */
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
