import { EVENT_BOUNDS, parsePipelineEvent } from '../../src/core/pipeline-event';
import { escapeMrkdwn, escapeTruncate, userMention, slackLink } from '../../views/format';
import { homeView } from '../../views/home-view';
import { modelsView, type ModelOverview } from '../../views/models-view';
import { trainingFailed, trainingStarted } from '../fixtures/pipeline-events';
import { liveMarkupProblems } from './live-markup-check';

const now = new Date('2026-11-24T12:00:00Z');
const HOSTILE_URL = 'https://airflow.example.com/log?task=a|<!here>&next=>x<https://evil.example|Re-authenticate>';

describe('the one escape helper', () => {
  it('escapes exactly &, < and > (Slack: "Formatting text for app surfaces"), nothing else', () => {
    expect(escapeMrkdwn('<!channel> & *bold* _it_ `c`')).toBe('&lt;!channel&gt; &amp; *bold* _it_ `c`');
    expect(escapeTruncate('<<<<', 9)).toBe('&lt;&lt;…');
  });

  it('mentions only Slack user ids; anything else is escaped text', () => {
    expect(userMention('U0ALICE')).toBe('<@U0ALICE>');
    expect(userMention('W0GRID')).toBe('<@W0GRID>');
    for (const bad of ['<!channel>', 'U0A>|<!here', 'alice@corp.example', 'C0CHANNEL', 'u0lower', ''])
      expect(liveMarkupProblems({ text: userMention(bad) })).toEqual([]);
  });
});

describe('slackLink: links only to https URLs, built so nothing can break out', () => {
  it('encodes |, < and > so the URL cannot end the link or start another', () => {
    const link = slackLink(HOSTILE_URL, 'log <!here>')!;
    expect(link).toBe('<https://airflow.example.com/log?task=a%7C%3C!here%3E&next=%3Ex%3Chttps://evil.example%7CRe-authenticate%3E|log &lt;!here&gt;>');
    expect(liveMarkupProblems({ text: link }, { linkHosts: ['airflow.example.com'] })).toEqual([]);
  });

  it('refuses anything but https (http, javascript:, mailto:, userinfo, garbage, too long)', () => {
    for (const url of [
      'http://airflow.example.com/x',
      'javascript:alert(1)',
      'mailto:a@b.example',
      'https://user:pw@airflow.example.com/',
      'not a url',
      `https://a.example/${'x'.repeat(1800)}`,
    ]) {
      expect({ url, link: slackLink(url, 'log') }).toEqual({ url, link: undefined });
    }
  });
});

describe('logUrl in the Home tab and /mlops models (issue 10: written raw before)', () => {
  const model = (logUrl: string): ModelOverview => ({
    model: 'fraud-detector',
    pending: [],
    lastFailure: { at: '2026-11-24T11:00:00Z', type: 'training.failed', task: '<!channel>', message: '<https://evil.example|Re-authenticate> <!here>', logUrl },
  });
  const home = (logUrl: string) => homeView({ now, windowMinutes: 60, models: [model(logUrl)], endpoints: [], recent: [] });
  const models = (logUrl: string) => modelsView({ now, models: [model(logUrl)] });

  it('a hostile https log URL is a safe link; the message and task are text', () => {
    for (const view of [home(HOSTILE_URL), models(HOSTILE_URL)]) {
      expect(liveMarkupProblems(view, { linkHosts: ['airflow.example.com'] })).toEqual([]);
      expect(JSON.stringify(view.blocks)).toContain('%7C%3C!here%3E');
    }
  });

  it('a log URL that is not https is left out, not linked', () => {
    for (const url of ['http://airflow.example.com/log', 'https://x.example/a b|<!channel>']) {
      for (const view of [home(url), models(url)]) expect(liveMarkupProblems(view, { linkHosts: ['x.example'] })).toEqual([]);
    }
    expect(JSON.stringify(home('http://airflow.example.com/log').blocks)).not.toContain('|log>');
  });
});

describe('event schema: requestedBy and bounds', () => {
  it('drops a requestedBy that is not a Slack user id, with a warning, and keeps the event', () => {
    const parsed = parsePipelineEvent(trainingStarted({ requestedBy: '<!channel>' }));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.requestedBy).toBeUndefined();
    expect(parsed.warnings).toEqual([expect.stringContaining('is not a Slack user id')]);
    const valid = parsePipelineEvent(trainingStarted({ requestedBy: 'U0ALICE' }));
    expect(valid.ok && valid.value.requestedBy).toBe('U0ALICE');
    expect(valid.ok && valid.warnings).toBeUndefined();
  });

  it.each([
    ['version', { version: `1.0.0-${'a'.repeat(EVENT_BOUNDS.version)}` }],
    ['metrics count', { metrics: Object.fromEntries(Array.from({ length: EVENT_BOUNDS.metrics + 1 }, (_, i) => [`m${i}`, i])) }],
    ['links count', { links: Object.fromEntries(Array.from({ length: EVENT_BOUNDS.links + 1 }, (_, i) => [`l${i}`, 'https://a.example/'])) }],
    ['link name', { links: { ['x'.repeat(EVENT_BOUNDS.linkName + 1)]: 'https://a.example/' } }],
    ['run id', { run: { runId: 'r'.repeat(EVENT_BOUNDS.runPart + 1) } }],
    ['requestedBy', { requestedBy: 'U'.repeat(EVENT_BOUNDS.requestedBy + 1) }],
  ])('refuses an event over the %s bound with a message naming the field', (_what, overrides) => {
    const parsed = parsePipelineEvent(trainingFailed({ version: '1.0.0', ...overrides }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.join('\n')).toMatch(new RegExp(`^${Object.keys(overrides)[0]}`, 'm'));
  });
});
