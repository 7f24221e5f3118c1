import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Store } from '../core/store';
import { withTimeout } from '../core/time-limit';
import type { Metrics } from '../observability/create-metrics';
import { storeKeys } from '../store/store-keys';
import type { ChartSpec } from './chart-spec';
import { RENDERER_VERSION, renderChartPng } from './render-chart';

/** Slack keeps the file; the cache entry lives as long as a card may be re-shown. */
const CHART_CACHE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** The bytes' POST to Slack's upload URL gets this long (the Web API calls have the client's own limits). */
const UPLOAD_TIMEOUT_MS = 15_000;

export type RenderPng = (spec: ChartSpec) => Promise<Buffer>;

/** Why a chart is not there: the closed `chart_outcome` label and the log line say the same. */
export class ChartFailure extends Error {
  constructor(
    readonly outcome: 'render_failed' | 'upload_failed',
    override readonly cause: unknown,
  ) {
    super(`${outcome}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The content key of a chart: the same spec drawn by the same renderer is the same image. */
export function chartHash(spec: ChartSpec): string {
  return createHash('sha256').update(RENDERER_VERSION).update('\u0000').update(JSON.stringify(spec)).digest('hex').slice(0, 40);
}

/**
 * Charts to Slack files: rendered to PNG, uploaded with Slack's external upload flow
 * (files.getUploadURLExternal, the bytes POSTed to the URL it gives, files.completeUploadExternal
 * without a channel: a private file of the bot that its own `image` blocks reference by id), and
 * remembered by content hash in the store, so a re-render of the same chart costs one store read.
 */
export function createChartUploads(deps: { store: Store; slack: WebClient; metrics: Metrics; render?: RenderPng; fetch?: typeof fetch }) {
  const render = deps.render ?? renderChartPng;
  const doFetch = deps.fetch ?? ((input: string | URL | Request, init?: RequestInit) => globalThis.fetch(input, init));

  async function upload(spec: ChartSpec, png: Buffer, filename: string): Promise<string> {
    const target = await deps.slack.files.getUploadURLExternal({ filename, length: png.length, alt_text: spec.altText });
    if (target.upload_url === undefined || target.file_id === undefined) throw new Error('files.getUploadURLExternal gave no upload_url/file_id');
    const res = await withTimeout(
      doFetch(target.upload_url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) }),
      UPLOAD_TIMEOUT_MS,
    );
    // Drained either way, so the connection is reused.
    const answer = await res.text();
    if (!res.ok) throw new Error(`upload URL answered ${res.status}: ${answer.slice(0, 200)}`);
    await deps.slack.files.completeUploadExternal({ files: [{ id: target.file_id, title: spec.title }] });
    return target.file_id;
  }

  /** The Slack file id of the chart: from the cache, or rendered and uploaded now. Rejects with ChartFailure. */
  return async function chartFile(spec: ChartSpec, filename: string): Promise<{ fileId: string; cached: boolean }> {
    const key = storeKeys.chartFile(chartHash(spec));
    const known = await deps.store.get(key);
    if (known !== null) {
      deps.metrics.charts.inc({ chart: spec.kind, chart_outcome: 'cached' });
      return { fileId: known, cached: true };
    }
    let png: Buffer;
    const stop = deps.metrics.chartRenderDuration.startTimer({ chart: spec.kind });
    try {
      png = await render(spec);
    } catch (error) {
      throw new ChartFailure('render_failed', error);
    } finally {
      stop();
    }
    let fileId: string;
    try {
      fileId = await upload(spec, png, filename);
    } catch (error) {
      throw new ChartFailure('upload_failed', error);
    }
    await deps.store.set(key, fileId, CHART_CACHE_TTL_MS);
    deps.metrics.charts.inc({ chart: spec.kind, chart_outcome: 'uploaded' });
    return { fileId, cached: false };
  };
}
export type ChartUploads = ReturnType<typeof createChartUploads>;
