import fc from 'fast-check';
import type { AlarmAlert } from '../../src/core/alarm-alert';
import type { PipelineEvent } from '../../src/core/pipeline-event';
import { alarmAlertView } from '../../views/alarm-alert-view';
import { deploymentEventView } from '../../views/deployment-event-view';
import { errorDetailView } from '../../views/error-detail-view';
import { breakFences } from '../../views/format';
import { FAILURE_EXCERPT_CHARS, failureAlertView, needsFullErrorText } from '../../views/failure-alert-view';
import { RUN_STAGE_BLOCK, runTopMessageView } from '../../views/run-top-message-view';
import { trainingStartedView } from '../../views/training-started-view';
import { trainingSucceededView } from '../../views/training-succeeded-view';
import type { SlackMessage } from '../../views/slack-message';
import { slackLimitProblems } from './slack-limit-checks';

const RUN = { dagId: 'fraud_detector_training', runId: 'manual__2026-11-24T09:12:03+00:00', url: 'https://mwaa.example.com/dags/fraud_detector_training/grid' };
const started: PipelineEvent = {
  id: 'e1',
  type: 'training.started',
  model: 'fraud-detector',
  timestamp: '2026-11-24T09:12:03Z',
  run: RUN,
  requestedBy: 'U0ALICE',
};
const succeeded: PipelineEvent = {
  id: 'e2',
  type: 'training.succeeded',
  model: 'fraud-detector',
  version: '1.4.0',
  timestamp: '2026-11-24T10:42:00Z',
  run: RUN,
  trainingJob: 'fraud-detector-1-4-0-2026-11-24-09-12-03',
  metrics: { 'validation:f1': 0.91 },
};
const failed: PipelineEvent = {
  id: 'e3',
  type: 'training.failed',
  model: 'fraud-detector',
  timestamp: '2026-11-24T09:40:00Z',
  run: RUN,
  error: {
    task: 'train_model',
    message: 'ResourceLimitExceeded: ml.p3.2xlarge limit is 1',
    logUrl: 'https://mwaa.example.com/log?dag_id=x&task_id=train_model',
  },
};
const deployed: PipelineEvent = {
  id: 'e4',
  type: 'deployment.succeeded',
  model: 'fraud-detector',
  version: '1.4.0',
  timestamp: '2026-11-24T11:09:00Z',
  run: { dagId: 'fraud_detector_deployment', runId: 'mlops_deploy__x__1' },
  endpoint: 'fraud-detector-prod',
  metrics: { f1: 0.91 },
};
const alarm: AlarmAlert = {
  id: 'alarm:1',
  alarmName: 'fraud-detector-prod-model-latency-p99',
  state: 'ALARM',
  oldState: 'OK',
  reason: 'Threshold Crossed: 3 out of the last 3 datapoints were greater than the threshold (500000.0).',
  changedAt: '2026-11-24T10:56:12.345Z',
  dimensions: { EndpointName: 'fraud-detector-prod', VariantName: 'AllTraffic' },
  endpoint: 'fraud-detector-prod',
  model: 'fraud-detector',
  metric: { namespace: 'AWS/SageMaker', name: 'ModelLatency', statistic: 'p99', threshold: 500000, comparison: 'GreaterThanThreshold' },
};

const all = (m: SlackMessage) => JSON.stringify(m.blocks);
const ok = (m: SlackMessage) => expect(slackLimitProblems(m)).toEqual([]);

/** Text that breaks naive views: mrkdwn control characters, fences, astral characters, newlines. */
const nasty = (maxLength: number) => fc.string({ unit: fc.constantFrom('&', '<', '>', '`', '```', '*', '|', '\n', 'a', ' ', '😀', 'é'), maxLength });
const url = fc.constantFrom('https://example.com/a?b=1&c=<2>', `https://example.com/${'x'.repeat(1990)}`, 'https://example.com/|pipe');
const arbitraryEvent = (type: PipelineEvent['type']) =>
  fc
    .record({
      model: nasty(100).filter((s) => s.length > 0),
      version: fc.constantFrom('1.4.0', `1.0.0-${'a'.repeat(200)}`),
      runId: nasty(250).filter((s) => s.length > 0),
      dagId: nasty(250).filter((s) => s.length > 0),
      trainingJob: nasty(200),
      task: nasty(250),
      message: nasty(5000),
      runUrl: url,
      links: fc.dictionary(nasty(30), url, { maxKeys: 30 }),
      metrics: fc.dictionary(
        nasty(100).filter((s) => s.length > 0),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        { maxKeys: 60 },
      ),
      endpoint: nasty(63),
    })
    .map((r): PipelineEvent => ({
      id: 'x',
      type,
      model: r.model,
      version: r.version,
      timestamp: '2026-11-24T10:00:00Z',
      run: { dagId: r.dagId, runId: r.runId, url: r.runUrl },
      trainingJob: r.trainingJob,
      endpoint: r.endpoint,
      metrics: r.metrics,
      links: r.links,
      error: { task: r.task, message: r.message, logUrl: r.runUrl },
      requestedBy: 'U0ALICE',
    }));

describe('training-started-view', () => {
  it('says who started what, with the run, the job and links, and a fallback text', () => {
    const m = trainingStartedView({ event: { ...started, version: '1.4.0', trainingJob: 'job-1' }, startedBy: 'U0ALICE' });
    ok(m);
    expect(m.text).toBe('Training of fraud-detector 1.4.0 started by <@U0ALICE> (run manual__2026-11-24T09:12:03+00:00)');
    expect(all(m)).toContain('<@U0ALICE>');
    expect(all(m)).toContain('`job-1`');
    expect(all(m)).toContain('|run>');
  });
  it('matches its snapshot', () => expect(trainingStartedView({ event: started, startedBy: 'U0ALICE' })).toMatchSnapshot());
  it('stays within Slack limits whatever the event holds', () => {
    fc.assert(
      fc.property(arbitraryEvent('training.started'), (event) => slackLimitProblems(trainingStartedView({ event, startedBy: 'U0ALICE' })).length === 0),
      { numRuns: 150 },
    );
  });
});

describe('training-succeeded-view', () => {
  it('shows duration, instance and billable time from the training job, and the final metrics', () => {
    const m = trainingSucceededView({
      event: succeeded,
      job: { startedAt: '2026-11-24T10:02:10Z', endedAt: '2026-11-24T10:41:55Z', billableSeconds: 2385, instanceType: 'ml.m5.xlarge', instanceCount: 1 },
    });
    ok(m);
    expect(m.text).toBe('Training of fraud-detector 1.4.0 succeeded in 39m 45s (training job fraud-detector-1-4-0-2026-11-24-09-12-03)');
    expect(all(m)).toContain('ml.m5.xlarge × 1');
    expect(all(m)).toContain('*Billable time*\\n39m 45s');
    expect(all(m)).toMatch(/validation:f1 +0\.91/);
  });
  it('falls back to the run start for the duration, and says nothing of it when unknown', () => {
    expect(trainingSucceededView({ event: succeeded, runStartedAt: '2026-11-24T09:12:03Z' }).text).toContain('in 1h 29m');
    expect(trainingSucceededView({ event: succeeded }).text).not.toContain(' in ');
  });
  it('matches its snapshot', () =>
    expect(trainingSucceededView({ event: succeeded, job: { billableSeconds: 2385, instanceType: 'ml.m5.xlarge', instanceCount: 1 } })).toMatchSnapshot());
  it('stays within Slack limits whatever the event holds', () => {
    fc.assert(
      fc.property(
        arbitraryEvent('training.succeeded'),
        (event) => slackLimitProblems(trainingSucceededView({ event, job: { instanceType: 'x'.repeat(500), billableSeconds: 1e12 } })).length === 0,
      ),
      { numRuns: 150 },
    );
  });
});

describe('failure-alert-view', () => {
  it('is red, names the failed task, the error, the log link and the run', () => {
    const m = failureAlertView({ event: failed, modelChannel: 'C0FRAUD' });
    ok(m);
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 fraud-detector training failed', emoji: true } });
    expect(m.text).toBe(':red_circle: fraud-detector training failed at train_model: ResourceLimitExceeded: ml.p3.2xlarge limit is 1');
    expect(all(m)).toContain('`train_model`');
    expect(all(m)).toContain('```ResourceLimitExceeded: ml.p3.2xlarge limit is 1```');
    expect(all(m)).toContain('<https://mwaa.example.com/log?dag_id=x&task_id=train_model|logs>');
    expect(all(m)).toContain('run `manual__2026-11-24T09:12:03+00:00`');
    expect(all(m)).toContain('in <#C0FRAUD>');
  });
  it('shows the count of a grouped alert and the number of a repeated failure', () => {
    expect(failureAlertView({ event: failed, count: 3, windowMinutes: 10 }).text).toContain('training failed (3 failures in 10 min)');
    expect(failureAlertView({ event: { ...failed, type: 'deployment.failed', version: '1.4.0' }, occurrence: 2 }).text).toContain(
      'Failure 2: fraud-detector 1.4.0 deployment failed',
    );
  });
  it('cuts a long error inside its code block and says the full text is in the thread', () => {
    const message = `${'line with <tags> & stuff\n'.repeat(400)}END`;
    expect(needsFullErrorText(message)).toBe(true);
    expect(needsFullErrorText('short')).toBe(false);
    expect(needsFullErrorText('&'.repeat(FAILURE_EXCERPT_CHARS))).toBe(true); // escaped it would not fit
    const m = failureAlertView({ event: { ...failed, error: { task: 'train_model', message } } });
    ok(m);
    expect(all(m)).toContain('the full error is in the thread');
    expect(all(m)).not.toContain('END');
  });
  it('matches its snapshot', () => expect(failureAlertView({ event: failed, count: 2, windowMinutes: 10 })).toMatchSnapshot());
  it('stays within Slack limits whatever the event holds', () => {
    fc.assert(
      fc.property(
        arbitraryEvent('training.failed'),
        fc.integer({ min: 1, max: 1e9 }),
        (event, count) => slackLimitProblems(failureAlertView({ event, count, windowMinutes: 10, occurrence: count, modelChannel: 'C0FRAUD' })).length === 0,
      ),
      { numRuns: 150 },
    );
  });
});

describe('error-detail-view', () => {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const contentOf = (m: SlackMessage) =>
    (m.blocks.slice(1) as { text: { text: string } }[])
      .map((b) =>
        unescape(
          b.text.text
            .replace(/^```|```$/g, '')
            .replace(/^\u200b(?=`)/, '')
            .replace(/(?<=`)\u200b$/, ''),
        ),
      )
      .join('');
  it('carries the whole error across code blocks of at most 3,000 characters', () => {
    const text = Array.from({ length: 300 }, (_, i) => `frame ${i}: <module> & \`x\``).join('\n');
    const m = errorDetailView({ title: 'Full error of fraud-detector training.failed', text });
    ok(m);
    expect(m.blocks.length).toBeGreaterThan(2);
    expect(contentOf(m)).toBe(text);
    fc.assert(
      fc.property(
        nasty(8000),
        (t) =>
          slackLimitProblems(errorDetailView({ title: 'x', text: t })).length === 0 &&
          contentOf(errorDetailView({ title: 'x', text: t })) === breakFences(t).replace(/\r\n?/g, '\n'),
      ),
      { numRuns: 100 },
    );
  });
  it('matches its snapshot', () => expect(errorDetailView({ title: 'Full error', text: 'Traceback:\n  File "train.py"\nMemoryError' })).toMatchSnapshot());
});

describe('run-top-message-view', () => {
  const body = trainingStartedView({ event: started, startedBy: 'U0ALICE' });
  it('puts the stage line above the first event and marks the stages done', () => {
    const m = runTopMessageView({ stage: 'evaluated', body, run: RUN });
    ok(m);
    const stage = m.blocks[0] as { block_id: string; elements: { text: string }[] };
    expect(stage.block_id).toBe(RUN_STAGE_BLOCK);
    expect(stage.elements[0]?.text).toContain('started ✓ → trained ✓ → *evaluated* → deploying → live');
    expect(m.blocks.slice(1)).toEqual(body.blocks);
    expect(m.text).toBe(`[evaluated] ${body.text}`);
    expect((runTopMessageView({ stage: 'failed', body }).blocks[0] as { elements: { text: string }[] }).elements[0]?.text).toContain(
      ':red_circle: Stage: *failed*',
    );
  });
  it('says the bake verdict beside live, and only at live', () => {
    const line = (m: SlackMessage) => (m.blocks[0] as { elements: { text: string }[] }).elements[0]?.text;
    const baked = runTopMessageView({ stage: 'live', body, run: RUN, baked: 'healthy' });
    expect(line(baked)).toContain('deploying ✓ → *live*, baked :white_check_mark:');
    expect(baked.text).toBe(`[live, baked] ${body.text}`);
    expect(line(runTopMessageView({ stage: 'live', body, baked: 'degraded' }))).toContain('*live*, :rotating_light: degraded after the bake');
    expect(line(runTopMessageView({ stage: 'live', body, baked: 'inconclusive' }))).toContain('*live*, bake inconclusive (no traffic)');
    expect(line(runTopMessageView({ stage: 'deploying', body, baked: 'healthy' }))).not.toContain('baked');
    expect(line(runTopMessageView({ stage: 'live', body }))).toMatch(/\*live\*$/);
  });
  it('keeps within 50 blocks even under a full body', () => {
    const full: SlackMessage = { text: 'x', blocks: Array.from({ length: 50 }, () => ({ type: 'divider' as const })) };
    expect(runTopMessageView({ stage: 'live', body: full }).blocks).toHaveLength(50);
  });
  it('matches its snapshot', () => expect(runTopMessageView({ stage: 'trained', body, run: RUN })).toMatchSnapshot());
});

describe('deployment-event-view', () => {
  it('announces a deployment and, once live, the endpoint with its variants', () => {
    const startedView = deploymentEventView({ event: { ...deployed, type: 'deployment.started' }, endpoint: 'fraud-detector-prod' });
    ok(startedView);
    expect(startedView.text).toBe('Deploying fraud-detector 1.4.0 to fraud-detector-prod');
    const live = deploymentEventView({
      event: deployed,
      details: { status: 'InService', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large', instanceCount: 2 }] },
    });
    ok(live);
    expect(live.text).toBe('fraud-detector 1.4.0 is live on fraud-detector-prod');
    expect(all(live)).toContain('fraud-detector-prod (InService)');
    expect(all(live)).toContain('AllTraffic: ml.m5.large × 2');
    expect(all(live)).toContain('F1 0.91');
  });
  it('matches its snapshot', () =>
    expect(
      deploymentEventView({
        event: deployed,
        details: { status: 'InService', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large', instanceCount: 2 }] },
      }),
    ).toMatchSnapshot());
  it('stays within Slack limits whatever the event holds', () => {
    const variants = Array.from({ length: 100 }, (_, i) => ({
      name: `v${i}-${'x'.repeat(100)}`,
      instanceType: 'ml.'.repeat(50),
      instanceCount: i,
      weight: 0.5,
    }));
    fc.assert(
      fc.property(
        arbitraryEvent('deployment.succeeded'),
        (event) => slackLimitProblems(deploymentEventView({ event, details: { status: 'InService', variants } })).length === 0,
      ),
      { numRuns: 100 },
    );
  });
});

describe('alarm-alert-view', () => {
  it('is red when the alarm fires, with state, metric rule, endpoint, model and reason', () => {
    const m = alarmAlertView({ alarm, modelChannel: 'C0FRAUD' });
    ok(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: '🔴 Alarm fraud-detector-prod-model-latency-p99' } });
    expect(all(m)).toContain('OK → ALARM');
    expect(all(m)).toContain('AWS/SageMaker ModelLatency p99 &gt; 500000');
    expect(all(m)).toContain('VariantName=AllTraffic');
    expect(all(m)).toContain('Threshold Crossed');
    expect(alarmAlertView({ alarm, count: 4, windowMinutes: 10 }).text).toContain('(4 times in 10 min)');
  });
  it('is green when the alarm clears', () => {
    const m = alarmAlertView({ alarm: { ...alarm, state: 'OK' } });
    ok(m);
    expect(m.text).toBe('Alarm fraud-detector-prod-model-latency-p99 is OK again');
    expect(all(m)).toContain(':large_green_circle:');
  });
  it('matches its snapshot', () => expect(alarmAlertView({ alarm })).toMatchSnapshot());
  it('stays within Slack limits whatever the alarm holds', () => {
    fc.assert(
      fc.property(
        nasty(255),
        nasty(10_000),
        fc.dictionary(nasty(255), nasty(255), { maxKeys: 30 }),
        fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA' as const),
        (name, reason, dimensions, state) =>
          slackLimitProblems(
            alarmAlertView({ alarm: { ...alarm, alarmName: name || 'a', reason, dimensions, state, description: reason.slice(0, 1024) }, count: 3 }),
          ).length === 0,
      ),
      { numRuns: 150 },
    );
  });
});

describe('every view at the limits of the event schema', () => {
  const huge = (n: number, unit = '&') => unit.repeat(n);
  const links = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`link-${i}-${huge(50, '<')}`, `https://example.com/${'x'.repeat(1990)}`]));
  const metrics = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${huge(96, '`')}${i}`, i / 7]));
  const worst = (type: PipelineEvent['type']): PipelineEvent => ({
    id: huge(200, 'i'),
    type,
    model: huge(100),
    version: `1.0.0-${huge(200, 'a')}`,
    timestamp: '2026-11-24T10:00:00Z',
    run: { dagId: huge(250, '`'), runId: huge(250, '>'), url: `https://example.com/${'y'.repeat(1990)}` },
    trainingJob: huge(200, '`'),
    endpoint: huge(63),
    metrics,
    links,
    error: { task: huge(250), message: huge(200_000), logUrl: `https://example.com/${'z'.repeat(1990)}` },
    requestedBy: 'U0ALICE',
  });
  it.each([
    ['training-started', () => trainingStartedView({ event: worst('training.started'), startedBy: 'U0ALICE' })],
    [
      'training-succeeded',
      () =>
        trainingSucceededView({ event: worst('training.succeeded'), job: { instanceType: huge(500), billableSeconds: 1e15, startedAt: 'x', endedAt: 'y' } }),
    ],
    [
      'failure-alert',
      () =>
        failureAlertView({ event: worst('training.failed'), count: Number.MAX_SAFE_INTEGER, occurrence: 1e9, windowMinutes: 1440, modelChannel: 'C0FRAUD' }),
    ],
    ['error-detail', () => errorDetailView({ title: huge(5000), text: huge(200_000) })],
    [
      'run-top-message',
      () => runTopMessageView({ stage: 'deploying', body: failureAlertView({ event: worst('deployment.failed') }), run: worst('deployment.failed').run ?? {} }),
    ],
    [
      'deployment-event',
      () =>
        deploymentEventView({
          event: worst('deployment.succeeded'),
          endpoint: huge(63),
          details: {
            status: huge(100),
            variants: Array.from({ length: 200 }, (_, i) => ({ name: huge(63), instanceType: huge(100), instanceCount: i, weight: i })),
          },
        }),
    ],
    [
      'alarm-alert',
      () =>
        alarmAlertView({
          alarm: {
            ...alarm,
            alarmName: huge(255),
            reason: huge(10_000),
            description: huge(1024),
            oldState: huge(100),
            dimensions: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${huge(200)}${i}`, huge(255)])),
          },
          count: 1e9,
          modelChannel: 'C0FRAUD',
        }),
    ],
  ])('%s stays within Slack limits', (_name, render) => {
    expect(slackLimitProblems(render())).toEqual([]);
  });
});
