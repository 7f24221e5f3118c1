import { randomUUID } from 'node:crypto';
import { candidateIdFor } from '../../src/core/candidate';
import { evaluationCompleted, trainingFailed, trainingStarted } from '../fixtures/pipeline-events';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';
import { liveMarkupProblems } from '../unit/live-markup-check';
import { appHomeOpenedBody, sendCommand, waitFor } from './commands-kit';

/**
 * Outside text is shown, never interpreted (issue 10, item 3): pipeline text that reads as Slack
 * markup goes through the real hook, the real bot and its outbox to the fake Slack, and no
 * posted payload (blocks AND fallback `text`, messages, updates, answers, the Home tab) holds a
 * live mention or link the bot did not mean to make.
 */
const HOSTILE =
  '<!channel> <!here> <!everyone> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL> <https://evil.example/login|Re-authenticate> <mailto:x@evil.example|mail> *bold* & &amp; &lt; `tick` ```fence';
const HOSTILE_URL = 'https://airflow.example.com/log?task=a|<!here>&next=>x<https://evil.example|Re-authenticate>';
const ALLOW = {
  users: ['U0ALICE', 'U0BOB'],
  channels: ['C0FRAUD', 'C0ALERTS', 'C0DEFAULT', 'C0CHURN'],
  usergroups: ['S0MLOPS'],
  linkHosts: ['airflow.example.com', 'pipeline.example.com', 'mwaa.example.com', 'console.aws.amazon.com'],
};

describe('hostile pipeline and user text reaches Slack as text', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ fileConfig: { ...SAMPLE_CONFIG, operators: { users: ['U0ALICE'], usergroups: [] } } });
  });
  afterAll(async () => {
    await t.stop();
  });

  const outboxDepth = async () => Number(/^mlops_outbox_depth (\d+)/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? 'NaN');

  it('pipeline events: no live mention or link in any posted text, and every event still posts', async () => {
    const runId = `manual__hostile-${randomUUID().slice(0, 8)}`;
    const events = [
      // A requester that is not a user id: dropped with a warning, the event still posts.
      trainingStarted({ requestedBy: '<!channel>', run: { dagId: 'fraud_detector_training', runId, url: HOSTILE_URL } }),
      trainingFailed({
        run: { dagId: `dag ${HOSTILE}`.slice(0, 250), runId: `run ${HOSTILE}`.slice(0, 250), url: HOSTILE_URL },
        requestedBy: 'U0BOB',
        error: { task: HOSTILE.slice(0, 250), message: `${HOSTILE}\n`.repeat(40), logUrl: HOSTILE_URL },
        links: { [`Re-authenticate ${HOSTILE}`.slice(0, 50)]: 'https://pipeline.example.com/ok' },
      }),
      evaluationCompleted({
        requestedBy: 'U0BOB',
        run: { dagId: 'fraud_detector_training', runId: `eval-${randomUUID().slice(0, 8)}`, url: HOSTILE_URL },
        metrics: { f1: 0.91, [HOSTILE.slice(0, 100)]: 0.5, '<!here>': 1 },
        confusionMatrix: {
          labels: [HOSTILE.slice(0, 100), '<!channel>'],
          matrix: [
            [1, 2],
            [3, 4],
          ],
        },
        lineage: { commit: '<!channel>', image: HOSTILE, data: HOSTILE },
        links: { [HOSTILE.slice(0, 50)]: HOSTILE_URL },
        trainingJob: HOSTILE.slice(0, 200),
      }),
      { ...trainingFailed(), type: 'deployment.started', version: '1.4.1', endpoint: '<!here> <@U0EVIL>', error: undefined },
      {
        ...trainingFailed({ error: { task: '<!channel>', message: HOSTILE, logUrl: HOSTILE_URL } }),
        type: 'deployment.failed',
        version: '1.4.1',
        endpoint: '<!channel>',
      },
      { ...evaluationCompleted({ metrics: { [HOSTILE.slice(0, 100)]: 1 } }), type: 'deployment.succeeded', version: '1.4.2', endpoint: '<!here>' },
      // A requester that looks like a mention of an approver: dropped, so the run's starter is unknown.
      evaluationCompleted({
        version: '1.5.0',
        requestedBy: '<@U0ALICE>',
        run: { dagId: 'fraud_detector_training', runId: `eval-${randomUUID().slice(0, 8)}` },
      }),
      // Too long for the thread: the full error goes as a file, whose comment is mrkdwn too.
      trainingFailed({ error: { task: `<!channel> ${HOSTILE}`.slice(0, 250), message: `${HOSTILE}\n`.repeat(400) } }),
    ];
    for (const event of events) {
      const res = await t.hook(event);
      expect({ id: event.id, status: res.status, body: res.status === 202 ? '' : await res.text() }).toEqual({ id: event.id, status: 202, body: '' });
    }
    // Every event is delivered: one top message or reply per event, and the outbox is empty.
    await waitFor(
      'every event posted',
      async () => (t.slack.callsTo('chat.postMessage').length >= events.length && (await outboxDepth()) === 0 ? true : undefined),
      30_000,
    );
    await waitFor('the full error as a file', () => (t.slack.callsTo('files.completeUploadExternal').length >= 2 ? true : undefined), 30_000);

    const posted = t.slack.calls.filter((c) => c.method.startsWith('chat.') || c.method.startsWith('views.') || c.method.startsWith('files.'));
    expect(posted.length).toBeGreaterThanOrEqual(events.length);
    const problems = posted.flatMap((c) => liveMarkupProblems(c.args, ALLOW).map((p) => `${c.method} ${p}`));
    expect(problems).toEqual([]);
    // The requester that was dropped is not shown as anybody; the valid one is mentioned.
    const all = JSON.stringify(posted.map((c) => c.args));
    expect(all).toContain('<@U0BOB>');
    expect(all).toContain('&lt;!channel&gt;');
    // Links the pipeline sent are links, but their `|` and `>` cannot end them early.
    expect(all).toContain('https://airflow.example.com/log?task=a%7C%3C!here%3E&next=%3Ex%3Chttps://evil.example%7CRe-authenticate%3E|');
    // The requester that is not a user id counts as unknown for the self-approval rule (the candidate's startedBy).
    const masked = events.find((e) => (e as { requestedBy?: string }).requestedBy === '<@U0ALICE>')!;
    const candidate = await t.bot.deps.candidates.get(candidateIdFor('fraud-detector', '1.5.0', masked.id));
    expect(candidate).toBeDefined();
    expect(candidate?.startedBy).toBeUndefined();
    // The dropped requester was logged, not silently lost.
    expect(t.logs.text()).toMatch(/requestedBy: \\"<!channel>\\" is not a Slack user id/);
  }, 60_000);

  it('commands, their answers and the Home tab: typed and recorded text stays text', async () => {
    const acks = [
      await sendCommand(t, 'status <!here>', { userId: 'U0ALICE' }),
      await sendCommand(t, 'history <@U0EVIL>', { userId: 'U0ALICE' }),
      await sendCommand(t, `<!channel>`, { userId: 'U0ALICE' }),
      await sendCommand(t, `train fraud-detector note=${JSON.stringify(HOSTILE)}`, { userId: 'U0ALICE' }),
      await sendCommand(t, 'models', { userId: 'U0ALICE' }),
      await sendCommand(t, 'history fraud-detector', { userId: 'U0ALICE' }),
    ];
    expect(acks.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const ack of acks) if (ack.body !== undefined) expect(liveMarkupProblems(ack.body, ALLOW)).toEqual([]);

    // The Home tab shows the last failure (its message and log link) recorded from the hostile event.
    const published = t.slack.callsTo('views.publish').length;
    const res = await t.slackPost(appHomeOpenedBody('U0ALICE'), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    await waitFor('the Home tab', () => (t.slack.callsTo('views.publish').length > published ? true : undefined), 15_000);
    // The train answer and models/history answers come through response_url; the run is posted in channel.
    await waitFor('the answers', () => (t.slack.responses.length >= 3 ? true : undefined), 15_000);

    const payloads = [...t.slack.responses.map((r) => r.body), ...t.slack.calls.filter((c) => /^(chat|views)\./.test(c.method)).map((c) => c.args)];
    expect(payloads.flatMap((p) => liveMarkupProblems(p, ALLOW))).toEqual([]);
    const home = JSON.stringify(t.slack.callsTo('views.publish').at(-1)?.args);
    expect(home).toContain('Recent failures');
    expect(home).not.toContain('<!here>');
    const models = JSON.stringify(t.slack.responses.map((r) => r.body));
    expect(models).toContain('&lt;!channel&gt;');
  }, 60_000);
});
