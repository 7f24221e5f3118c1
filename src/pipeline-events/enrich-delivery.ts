import { withTimeout } from '../core/time-limit';
import type { DeliveryContext } from './delivery-context';
import { isRecordedEvent, type DeliveryRecord, type Enrichment, type RecordedItem } from './delivery-record';

/** AWS gets this long to add details; the message goes out without them otherwise. */
const ENRICH_TIMEOUT_MS = 3000;

/**
 * Details from AWS for a message, asked once before its first attempt: DescribeTrainingJob for
 * training.succeeded (duration, instance, billable time), DescribeEndpoint for
 * deployment.succeeded. An AWS error or a slow answer never blocks delivery: it is logged and
 * the message goes out without the details.
 */
export async function enrichDelivery(ctx: DeliveryContext, d: DeliveryRecord, item: RecordedItem): Promise<Enrichment | undefined> {
  const inspector = ctx.inspector;
  if (inspector === undefined || d.role !== 'main' || !isRecordedEvent(item)) return undefined;
  const { event } = item;
  const log = ctx.logger.child({ eventId: event.id, model: event.model, version: event.version, runId: event.run?.runId });
  try {
    if (event.type === 'training.succeeded' && event.trainingJob !== undefined) {
      const job = await withTimeout(inspector.describeTrainingJob(event.trainingJob), ENRICH_TIMEOUT_MS);
      return {
        job: {
          status: job.status,
          ...(job.startedAt !== undefined ? { startedAt: job.startedAt.toISOString() } : {}),
          ...(job.endedAt !== undefined ? { endedAt: job.endedAt.toISOString() } : {}),
          ...(job.billableSeconds !== undefined ? { billableSeconds: job.billableSeconds } : {}),
          ...(job.instanceType !== undefined ? { instanceType: job.instanceType } : {}),
          ...(job.instanceCount !== undefined ? { instanceCount: job.instanceCount } : {}),
        },
      };
    }
    const endpoint = event.endpoint ?? ctx.config.file.models[event.model]?.endpoint;
    if (event.type === 'deployment.succeeded' && endpoint !== undefined) {
      const described = await withTimeout(inspector.describeEndpoint(endpoint), ENRICH_TIMEOUT_MS);
      return {
        endpoint: {
          status: described.status,
          variants: described.variants.map((v) => ({
            name: v.variantName,
            ...(v.modelName !== undefined ? { modelName: v.modelName } : {}),
            ...(v.instanceType !== undefined ? { instanceType: v.instanceType } : {}),
            ...(v.instanceCount !== undefined ? { instanceCount: v.instanceCount } : {}),
            ...(v.weight !== undefined ? { weight: v.weight } : {}),
          })),
        },
      };
    }
  } catch (error) {
    log.warn({ err: error, code: (error as { code?: string }).code }, 'delivery: could not read details from AWS; posting without them');
  }
  return undefined;
}
