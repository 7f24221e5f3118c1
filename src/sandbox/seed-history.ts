import { withTimeout } from '../core/time-limit';
import { ActionId } from '../slack/slack-ids';
import type { FakeAws } from './fake-aws-server';
import type { FakeSlack, FakeSlackMessage } from './fake-slack-server';
import { SANDBOX_CHANNELS, SANDBOX_MODELS, type SandboxModel } from './sandbox-config';
import type { PipelineEventBody, SimulatedPipeline } from './simulated-pipeline';
import type { SlackInteractions } from './slack-interactions';

/**
 * The history the sandbox starts from, so the first screen shows what the bot is for: a model in
 * production, a candidate an approver rejected (with the reason, through the real modal), a failed
 * training run with its alert, and a fresh evaluation waiting for Deploy / Reject. All of it is made
 * the way it happens for real: signed pipeline events to the bot's hook and signed Slack requests;
 * nothing is written into the bot's store. Resolves once the bot's outbox has posted all of it.
 */

const SEED_TIMEOUT_MS = 20_000;
const HOUR = 3600_000;

/** Resolves with the first value `check` gives after a change of the stand-in (or at once); bounded. */
export async function waitForSlack<T>(slack: FakeSlack, check: () => T | undefined, what: string, timeoutMs = SEED_TIMEOUT_MS): Promise<T> {
  let unsubscribe = () => undefined as unknown;
  const found = new Promise<T>((resolve) => {
    const look = () => {
      const value = check();
      if (value !== undefined) resolve(value);
    };
    unsubscribe = slack.onChange(look);
    look();
  });
  try {
    return await withTimeout(found, timeoutMs, () => new Error(`sandbox: no ${what} within ${timeoutMs} ms`));
  } finally {
    unsubscribe();
  }
}

function actionIds(message: Pick<FakeSlackMessage, 'blocks'>): string[] {
  return (message.blocks ?? []).flatMap((block) => {
    const elements = (block as { elements?: unknown }).elements;
    return Array.isArray(elements) ? elements.map((e) => String((e as { action_id?: unknown }).action_id)) : [];
  });
}

/** The evaluation card of `version` with its Deploy button, once posted. */
function evaluationCard(slack: FakeSlack, channel: string, version: string): FakeSlackMessage | undefined {
  return slack.messages(channel).find((m) => actionIds(m).includes(ActionId.Deploy) && JSON.stringify(m.blocks).includes(version));
}

export async function seedHistory(ctx: {
  slack: FakeSlack;
  aws: FakeAws;
  pipeline: SimulatedPipeline;
  interactions: SlackInteractions;
  sendEvent: (event: PipelineEventBody) => Promise<number>;
  now: () => Date;
  /** Who rejects the seeded candidate. */
  rejectedBy: string;
}): Promise<void> {
  const { slack, pipeline } = ctx;
  const [fraud, churn] = SANDBOX_MODELS as [SandboxModel, SandboxModel, ...SandboxModel[]];
  const now = ctx.now().getTime();
  const at = (msAgo: number) => new Date(now - msAgo);
  const send = async (event: PipelineEventBody, msAgo: number) => {
    const status = await ctx.sendEvent({ ...event, timestamp: at(msAgo).toISOString() });
    if (status !== 202) throw new Error(`sandbox: the bot answered ${status} to the seeded ${event.type} of ${event.model}`);
  };
  /** A training run that reports started, then succeeded or failed: events sent, its SageMaker job stored. */
  const trainingRun = async (
    model: SandboxModel,
    run: { dagId: string; runId: string },
    version: string,
    startedAgo: number,
    endedAgo: number,
    outcome: { metrics: Record<string, number> } | { failure: true },
  ) => {
    const started = pipeline.events.trainingStarted(model, run, version);
    await send(started, startedAgo);
    const ended = 'failure' in outcome ? pipeline.events.trainingFailed(model, run, version) : pipeline.events.trainingSucceeded(model, run, version);
    pipeline.recordTrainingJob(
      model,
      String(ended['trainingJob']),
      at(startedAgo),
      at(endedAgo),
      'failure' in outcome ? { failure: (ended['error'] as { message: string }).message } : outcome,
    );
    await send(ended, endedAgo);
  };
  const runId = (kind: string, msAgo: number) =>
    `${kind}__${at(msAgo)
      .toISOString()
      .replace(/\.\d+Z$/, '+00:00')}`;

  // 1. In production: fraud-detector 1.3.0 and churn-model 2.1.0, their endpoints InService.
  for (const [model, daysAgo] of [
    [fraud, 3],
    [churn, 6],
  ] as const) {
    const version = model.productionVersion ?? '1.0.0';
    const endpoint = pipeline.liveEndpoint(model, version, at(daysAgo * 24 * HOUR));
    if (endpoint !== undefined) ctx.aws.sagemaker.setEndpoint(endpoint);
    pipeline.noteVersion(model.name, version, model.baseline);
    const run = { dagId: model.deploymentDag ?? '', runId: runId('manual', daysAgo * 24 * HOUR) };
    await send(
      {
        ...pipeline.events.deployment('deployment.succeeded', model, run, { version, ...(model.endpoint !== undefined ? { endpoint: model.endpoint } : {}) }),
        metrics: model.baseline,
      },
      daysAgo * 24 * HOUR,
    );
  }

  // 2. A candidate worse than production, rejected by an approver through the reason modal.
  const rejected = '1.3.1';
  const rejectedRun = { dagId: fraud.trainingDag, runId: runId('manual', 26 * HOUR) };
  const worse = pipeline.candidateMetrics(fraud.name, -1);
  pipeline.noteVersion(fraud.name, rejected, worse);
  await trainingRun(fraud, rejectedRun, rejected, 26 * HOUR, 25.4 * HOUR, { metrics: worse });
  await send(pipeline.events.evaluationCompleted(fraud, rejectedRun, rejected, worse), 25.3 * HOUR);
  const card = await waitForSlack(slack, () => evaluationCard(slack, SANDBOX_CHANNELS.fraud.id, rejected), `evaluation card of ${fraud.name} ${rejected}`);
  const click = await ctx.interactions.action({ user: ctx.rejectedBy, channel: SANDBOX_CHANNELS.fraud.id, messageTs: card.ts, actionId: ActionId.Reject });
  if (!click.ok) throw new Error(`sandbox: the seeded Reject click failed: ${click.error}`);
  const modal = await waitForSlack(slack, () => slack.modals().find((m) => m.user === ctx.rejectedBy), 'Reject modal');
  const input = (Array.isArray(modal.view['blocks']) ? (modal.view['blocks'] as Record<string, unknown>[]) : []).find((b) => b['type'] === 'input');
  const element = input?.['element'] as { action_id?: string; type?: string } | undefined;
  if (typeof input?.['block_id'] !== 'string' || element?.action_id === undefined) throw new Error('sandbox: the Reject modal has no input block');
  const submitted = await ctx.interactions.submitView({
    user: ctx.rejectedBy,
    viewId: modal.viewId,
    values: {
      [input['block_id']]: {
        [element.action_id]: {
          type: element.type ?? 'plain_text_input',
          value: 'F1 and recall are below 1.3.0 on the October holdout; retrain with the merchant-risk features first.',
        },
      },
    },
  });
  if (!submitted.ok || submitted.response_action === 'errors') throw new Error('sandbox: the seeded Reject reason was refused');
  await waitForSlack(
    slack,
    () => {
      const now = slack.message(SANDBOX_CHANNELS.fraud.id, card.ts);
      return now !== undefined && !actionIds(now).includes(ActionId.Reject) ? now : undefined;
    },
    'rejected card',
  );

  // 3. A failed training run of churn-model: its alert goes to #ml-churn and #ml-alerts.
  const failedRun = { dagId: churn.trainingDag, runId: runId('scheduled', 3 * HOUR) };
  const failedVersion = pipeline.nextVersion(churn.name);
  await trainingRun(churn, failedRun, failedVersion, 3 * HOUR, 2.6 * HOUR, { failure: true });

  // 4. A fresh evaluation, better than production, waiting for Deploy / Reject.
  const fresh = '1.4.0';
  const freshRun = { dagId: fraud.trainingDag, runId: runId('manual', 40 * 60_000) };
  const metrics = pipeline.candidateMetrics(fraud.name, 1);
  pipeline.noteVersion(fraud.name, fresh, metrics);
  await trainingRun(fraud, freshRun, fresh, 40 * 60_000, 12 * 60_000, { metrics });
  await send(pipeline.events.evaluationCompleted(fraud, freshRun, fresh, metrics), 11 * 60_000);

  await waitForSlack(slack, () => evaluationCard(slack, SANDBOX_CHANNELS.fraud.id, fresh), `evaluation card of ${fraud.name} ${fresh}`);
  await waitForSlack(slack, () => slack.messages(SANDBOX_CHANNELS.alerts.id)[0], 'failure alert in #ml-alerts');
}
