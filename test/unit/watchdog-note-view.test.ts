import { SlackLimits } from '../../views/slack-message';
import { watchdogNoteView, type WatchdogNoteInput } from '../../views/watchdog-note-view';

const now = new Date('2026-11-24T12:15:00Z');
const base = { model: 'fraud-detector', dagId: 'fraud_detector_training', runId: 'manual__2026-11-24T10:00:00+00:00', minutes: 135, now };

function allText(message: ReturnType<typeof watchdogNoteView>): string {
  return JSON.stringify(message.blocks);
}

function checkLimits(message: ReturnType<typeof watchdogNoteView>): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.blocks.length).toBeLessThanOrEqual(SlackLimits.blocksPerMessage);
  for (const block of message.blocks as { type: string; text?: { text: string }; fields?: { text: string }[] }[]) {
    if (block.text !== undefined) expect(block.text.text.length).toBeLessThanOrEqual(SlackLimits.sectionText);
    for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(SlackLimits.fieldText);
    expect((block.fields ?? []).length).toBeLessThanOrEqual(SlackLimits.fieldsPerSection);
  }
}

describe('watchdogNoteView', () => {
  it('failed: says the run failed without a failure callback, names model, DAG and run, links the run when known', () => {
    const message = watchdogNoteView({ ...base, kind: 'failed', runUrl: 'https://airflow.example.com/dags/fraud_detector_training/grid?dag_run_id=x' });
    checkLimits(message);
    expect(message.text).toContain('failed without a failure callback');
    expect(message.text).toContain('fraud-detector');
    expect(message.text).toContain('2 h 15 min');
    const blocks = allText(message);
    expect(blocks).toContain('fraud_detector_training');
    expect(blocks).toContain('<https://airflow.example.com/dags/fraud_detector_training/grid?dag_run_id=x|manual__2026-11-24T10:00:00+00:00>');
    expect(blocks).toContain(`<!date^${Math.floor(now.getTime() / 1000)}^`);
    expect(message).toMatchSnapshot();
  });

  it('failed without a usable link: the run id as code, never a link to a non-http URL', () => {
    const message = watchdogNoteView({ ...base, kind: 'failed', runUrl: 'javascript:alert(1)' });
    expect(allText(message)).not.toContain('javascript:');
    expect(allText(message)).toContain('`manual__2026-11-24T10:00:00+00:00`');
  });

  it('running and queued: "still running after N"', () => {
    const running = watchdogNoteView({ ...base, kind: 'running', state: 'running', minutes: 45, nextNoteInMinutes: 120 });
    checkLimits(running);
    expect(running.text).toContain('still running after 45 minutes');
    expect(allText(running)).toContain('again in 2 h');
    const queued = watchdogNoteView({ ...base, kind: 'running', state: 'queued', minutes: 120, nextNoteInMinutes: 120 });
    expect(queued.text).toContain('still queued after 2 h');
  });

  it('unknown: why the state cannot be read and when the watchdog stops', () => {
    const cases: WatchdogNoteInput[] = [
      { ...base, kind: 'unknown', reason: 'not-found', stopWatchingAt: new Date('2026-11-24T14:15:00Z') },
      { ...base, kind: 'unknown', reason: 'unknown-state', raw: 'up_for_<retry>' },
      { model: 'fraud-detector', minutes: 130, now, kind: 'unknown', reason: 'no-run-id' },
    ];
    const [notFound, odd, noId] = cases.map((c) => watchdogNoteView(c));
    for (const m of [notFound, odd, noId]) checkLimits(m!);
    expect(allText(notFound!)).toContain('does not know');
    expect(allText(notFound!)).toContain('keep asking until <!date^');
    expect(allText(odd!)).toContain('up_for_&lt;retry&gt;');
    expect(allText(noId!)).toContain('no Airflow DAG run id');
  });

  it('escapes mrkdwn control characters in names', () => {
    const message = watchdogNoteView({ ...base, kind: 'failed', model: 'a<b>&c' });
    expect(allText(message)).toContain('a&lt;b&gt;&amp;c');
  });
});
