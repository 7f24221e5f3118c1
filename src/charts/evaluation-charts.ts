import type { BotDeps } from '../bot-deps';
import { createWorkLimiter } from '../core/create-work-limiter';
import { waitAtMost } from '../core/time-limit';
import type { BackgroundJob } from '../jobs/leased-job';
import type { DeliveryRecord } from '../outbox';
import { childLogger } from '../observability/create-logger';
import { evaluationSpecs } from './model-charts';
import { chartMessageView, type UploadedChart } from './chart-message';
import { ChartFailure, createChartUploads, type RenderPng } from './chart-uploads';

/** Evaluations waiting for their charts beyond the one being drawn; more are skipped (logged, counted as busy). */
const MAX_QUEUED = 50;

/** What the delivery worker reports after a message is in Slack (its record, with the placement, and its ts). */
export interface PostedDelivery {
  delivery: DeliveryRecord;
  ts: string;
}

export interface EvaluationChartsOptions {
  /** Tests and the benchmark: a renderer that fails or is slow. */
  render?: RenderPng;
}

/**
 * The evaluation card's charts. After the card is in Slack (the outbox's afterPost, so never on
 * the ack path nor inside the post's exactly-once claim), its charts are rendered and uploaded in
 * the background and posted in the card's thread through the outbox (recorded once per delivery,
 * so a re-run of afterPost after a crash posts nothing twice; the upload is cached by content).
 * A chart that fails to render or upload is skipped with a warning and `mlops_charts_total`;
 * the card itself was posted before any of this started.
 *
 * Why a thread reply and not an image block in the card: the card is re-rendered from the
 * candidate record at every decision (deployments/candidate-messages.ts), so an image added by a
 * chat.update would vanish at the first click; a reply keeps the picture beside the card.
 */
export function createEvaluationCharts(
  deps: Pick<BotDeps, 'config' | 'store' | 'logger' | 'metrics' | 'clock' | 'slack' | 'candidates' | 'production' | 'recordMessage'>,
  options: EvaluationChartsOptions = {},
) {
  const chartFile = createChartUploads({
    store: deps.store,
    slack: deps.slack,
    metrics: deps.metrics,
    ...(options.render !== undefined ? { render: options.render } : {}),
  });
  // One evaluation's charts at a time: renders run on libuv's thread pool, and a burst must not
  // take the CPU from the next cards and acks (the benchmark's time-to-Slack measures exactly that).
  const limiter = createWorkLimiter({ concurrency: 1, maxQueued: MAX_QUEUED });
  const inFlight = new Set<Promise<void>>();

  async function chartsFor(posted: PostedDelivery): Promise<void> {
    const d = posted.delivery;
    if (d.candidateId === undefined) return;
    const log = childLogger(deps.logger, { candidate: d.candidateId, deliveryId: d.id, component: 'charts' });
    const c = await deps.candidates.get(d.candidateId);
    if (c === undefined) return;
    const specs = await evaluationSpecs(deps, c);
    if (specs.length === 0) {
      deps.metrics.charts.inc({ chart: 'metric-trend', chart_outcome: 'no_data' });
      return;
    }
    const charts: UploadedChart[] = [];
    for (const spec of specs) {
      try {
        const { fileId } = await chartFile(spec, `${c.model}-${c.version}-${spec.kind}.png`);
        charts.push({ fileId, title: spec.title, altText: spec.altText });
      } catch (error) {
        const outcome = error instanceof ChartFailure ? error.outcome : 'upload_failed';
        deps.metrics.charts.inc({ chart: spec.kind, chart_outcome: outcome });
        log.warn(
          { err: error instanceof ChartFailure ? error.cause : error, chart: spec.kind, outcome },
          'charts: chart skipped; the evaluation message stands without it',
        );
      }
    }
    if (charts.length === 0) return;
    // In the card's thread: the card's own ts, or the thread it was posted in.
    const threadTs = d.placement?.kind === 'reply' ? d.placement.threadTs : posted.ts;
    try {
      await deps.recordMessage(
        `chart:${d.id}`,
        {
          type: 'chart',
          message: chartMessageView({ model: c.model, version: c.version, charts }),
          targets: [{ channel: d.channel, threadTs }],
          model: c.model,
        },
        deps.clock.now(),
      );
    } catch (error) {
      for (const spec of specs) deps.metrics.charts.inc({ chart: spec.kind, chart_outcome: 'record_failed' });
      log.warn({ err: error }, 'charts: could not record the chart message; the evaluation message stands without it');
    }
  }

  return {
    /** The outbox's afterPost hook: starts the charts of an evaluation card in the background and returns at once. */
    onPosted(posted: PostedDelivery): void {
      if (posted.delivery.eventType !== 'evaluation.completed' || posted.delivery.role !== 'main') return;
      let done: () => void = () => undefined;
      const work = new Promise<void>((resolve) => (done = resolve));
      const accepted = limiter.offer(() =>
        chartsFor(posted)
          .catch((error: unknown) =>
            deps.logger.warn({ err: error, deliveryId: posted.delivery.id }, 'charts: failed; the evaluation message stands without them'),
          )
          .finally(() => {
            inFlight.delete(work);
            done();
          }),
      );
      if (accepted) inFlight.add(work);
      else {
        deps.metrics.charts.inc({ chart: 'metric-trend', chart_outcome: 'busy' });
        deps.logger.warn({ deliveryId: posted.delivery.id, queued: limiter.queued }, 'charts: too many charts waiting; this evaluation goes without them');
      }
    },
    /** Resolves when no chart is being made (tests; the stop below). */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    /** For the composition root's stop: charts in flight get a bounded moment to finish. */
    job: {
      name: 'charts',
      start: () => undefined,
      stop: async () => {
        await waitAtMost(Promise.all([...inFlight]), 5_000);
      },
    } satisfies BackgroundJob,
  };
}
export type EvaluationCharts = ReturnType<typeof createEvaluationCharts>;
