import { randomUUID } from 'node:crypto';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { PipelineEvent } from '../../src/core/pipeline-event';
import { trainingStarted } from '../fixtures/pipeline-events';
import { startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * deployment.* events are routed by name to the deployments feature (DeploymentEvents.applyPipelineEvent),
 * before their own messages are queued; other events never reach it. A failing handler does not keep
 * the message from Slack; a store outage in it makes the planner try the event again.
 */

async function until<T>(read: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function deploymentSucceeded() {
  return {
    id: randomUUID(),
    type: 'deployment.succeeded',
    model: 'fraud-detector',
    version: '9.9.9',
    timestamp: new Date().toISOString(),
    endpoint: 'fraud-detector-prod',
    run: { dagId: 'fraud_detector_deployment', runId: `deploy__${randomUUID().slice(0, 8)}` },
  };
}

describe('deployment events routed by name', () => {
  let t: TestBot;
  /** Posts about an event's run in the model channel. */
  const postsAbout = (runId: string) => t.slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.args).includes(runId));
  beforeEach(async () => {
    t = await startTestBot();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await t.stop();
  });

  it('runs the handler once for a deployment event, before its message is posted; never for other events', async () => {
    const seen: { type: string; postsBefore: number }[] = [];
    const apply = t.bot.deps.deployments.applyPipelineEvent.bind(t.bot.deps.deployments);
    jest.spyOn(t.bot.deps.deployments, 'applyPipelineEvent').mockImplementation(async (event: PipelineEvent) => {
      seen.push({ type: event.type, postsBefore: postsAbout(event.run?.runId ?? '-').length });
      await apply(event);
    });
    const started = trainingStarted();
    expect((await t.hook(started)).status).toBe(202);
    await until(() => postsAbout(started.run.runId).length === 1);
    const deployed = deploymentSucceeded();
    expect((await t.hook(deployed)).status).toBe(202);
    await until(() => postsAbout(deployed.run.runId).length === 1);
    expect(seen).toEqual([{ type: 'deployment.succeeded', postsBefore: 0 }]);
  });

  it('a handler that fails is logged and the message still goes out', async () => {
    jest.spyOn(t.bot.deps.deployments, 'applyPipelineEvent').mockRejectedValue(new Error('boom'));
    const deployed = deploymentSucceeded();
    expect((await t.hook(deployed)).status).toBe(202);
    await until(() => postsAbout(deployed.run.runId).length === 1);
    expect(t.logs.text()).toContain('applying the deployment event failed; delivering anyway');
  });

  it('a store outage in the handler leaves the event to be planned again: the handler runs again, the message goes out once', async () => {
    const spy = jest
      .spyOn(t.bot.deps.deployments, 'applyPipelineEvent')
      .mockRejectedValueOnce(new MlopsError(ErrorCode.StoreUnavailable, 'store down'))
      .mockResolvedValue(undefined);
    const deployed = deploymentSucceeded();
    expect((await t.hook(deployed)).status).toBe(202);
    await until(() => postsAbout(deployed.run.runId).length === 1);
    await new Promise((r) => setTimeout(r, 600));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(postsAbout(deployed.run.runId)).toHaveLength(1);
  });
});
