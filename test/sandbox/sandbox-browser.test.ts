import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { candidateIdFor, type Candidate } from '../../src/core/candidate';
import type { PipelineEvent } from '../../src/core/pipeline-event';
import { ActionId } from '../../src/slack/slack-ids';
import { candidateMessageView } from '../../views/candidate-message-view';
import { failureAlertView } from '../../views/failure-alert-view';
import { rejectModalView } from '../../views/reject-modal-view';
import { SANDBOX_CHANNELS } from '../../src/sandbox/sandbox-config';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox';

/** Debian's package; playwright-core brings no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const PAGE_DIR = path.join(__dirname, '../../src/sandbox/page');
const SCREENSHOTS = path.join(__dirname, '../../docs/screenshots');
/** Bound of every wait for the bot: simulated runs post their events within a few seconds. */
const BOT_WAIT_MS = 30_000;

let browser: Browser;

beforeAll(async () => {
  // Never skipped: without the browser this suite fails with the one line that fixes it.
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium refuses to start its sandbox as root (CI runs as root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined when beforeAll failed
  await browser?.close();
});

/** Outside text that would run or inject if the page ever parsed message text as HTML. */
const HOSTILE = '<img src=x onerror="window.__injected=1"><script>window.__injected=2</script>&amp;';

function hostileState() {
  const candidate: Candidate = {
    id: candidateIdFor('fraud-detector', '1.4.0', 'e1'),
    model: `fraud-detector ${HOSTILE}`,
    version: '1.4.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: { f1: 0.91, recall: 0.89 },
    endpoint: 'fraud-detector-prod',
    trainingJob: `job ${HOSTILE}`,
    run: { dagId: 'fraud_detector_training', runId: 'manual__1', url: 'https://airflow.example/dags/x?a=1&b=<2>' },
    evaluatedAt: '2026-12-05T01:05:00Z',
    sourceEventId: 'e1',
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: '2026-12-05T01:05:00Z',
    updatedAt: '2026-12-05T01:05:00Z',
    rev: 0,
    requestedBy: 'U0APPROVER',
  };
  const card = candidateMessageView({
    candidate,
    production: { model: 'fraud-detector', version: '1.3.0', metrics: { f1: 0.88, recall: 0.9 }, deployedAt: '2026-11-20T14:30:00Z' },
    metricDirections: { f1: 'maximize', recall: 'maximize' },
    primaryMetric: 'f1',
    deploymentDag: 'fraud_detector_deployment',
  });
  const failed: PipelineEvent = {
    id: 'e3',
    type: 'training.failed',
    model: 'churn',
    timestamp: '2026-12-05T00:50:00Z',
    run: { dagId: 'churn_training', runId: 'manual__2' },
    error: { task: 'train_model', message: `OOM ${HOSTILE}\n\`\`\`fence\`\`\``, logUrl: 'https://airflow.example/log?task=train' },
  };
  const alert = failureAlertView({ event: failed });
  const modal = rejectModalView({ candidate, metadata: { candidateId: candidate.id } });
  return {
    workspace: { name: 'Fixture' },
    users: [
      { id: 'U0APPROVER', name: 'Ada', role: 'approver', description: '' },
      { id: 'U0VIEWER', name: 'Vic', role: 'viewer', description: '' },
    ],
    channels: [
      { id: 'C0FRAUD', name: 'ml-fraud-detector', purpose: 'fraud-detector' },
      { id: 'C0ALERTS', name: 'ml-alerts', purpose: 'alerts' },
    ],
    messages: [
      { channel: 'C0FRAUD', ts: '1764896600.000100', botId: 'B0BOT', text: card.text, blocks: card.blocks },
      { channel: 'C0FRAUD', ts: '1764896700.000100', user: 'U0VIEWER', text: `raw ${HOSTILE} <@U0APPROVER> <!here> *bold*` },
      {
        channel: 'C0FRAUD',
        ts: '1764896750.000100',
        user: 'U0VIEWER',
        text: '> quoted _it_ ~gone~ :rocket: :no_such_emoji: <#C0ALERTS> <!date^1764896400^{date_num}|fallback> <!date^x^{nope}|the fallback> __init__ <javascript:alert(1)|click> `a *b*`',
      },
      { channel: 'C0ALERTS', ts: '1764896300.000100', botId: 'B0BOT', text: alert.text, blocks: alert.blocks },
    ],
    ephemerals: [{ channel: 'C0FRAUD', user: 'U0VIEWER', ts: '1764896800.000100', text: 'only for Vic' }],
    modals: [{ viewId: 'V1', user: 'U0APPROVER', view: modal }],
    home: {},
    pipeline: { nextRun: 'succeed', runs: [] },
    version: 1,
  };
}

/** The page's own files, with /api answered from `state` (no sandbox server): the renderer alone. */
async function pageOverFixture(state: unknown): Promise<{ page: Page; posts: { url: string; body: unknown }[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const posts: { url: string; body: unknown }[] = [];
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  await page.route('http://fixture.test/**', async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/' || url.pathname.startsWith('/page/')) {
      const file = url.pathname === '/' ? 'index.html' : path.basename(url.pathname);
      await route.fulfill({ contentType: types[path.extname(file)] ?? 'text/plain', body: readFileSync(path.join(PAGE_DIR, file)) });
    } else if (url.pathname === '/api/state') {
      await route.fulfill({ json: state });
    } else if (url.pathname === '/api/events') {
      await route.fulfill({ contentType: 'text/event-stream', body: 'data: {"version":1}\n\n' });
    } else {
      posts.push({ url: url.pathname, body: route.request().postDataJSON() as unknown });
      await route.fulfill({ json: { ok: true } });
    }
  });
  await page.goto('http://fixture.test/');
  return { page, posts };
}

describe('sandbox page over a fixture of real view output', () => {
  it('renders outside text as text (nothing injected), every block type the views use, and sends the confirmed click', async () => {
    const { page, posts } = await pageOverFixture(hostileState());
    try {
      await page.selectOption('#user-select', 'U0APPROVER');
      const modal = page.locator('.modal');
      await modal.waitFor({ timeout: 10_000 });
      await modal.locator('[data-role="close"]').click();
      await modal.waitFor({ state: 'detached', timeout: 10_000 });

      const card = page.locator('.msg[data-ts="1764896600.000100"]');
      await card.waitFor({ timeout: 10_000 });
      expect(await card.locator('.bk-header').textContent()).toBe(`fraud-detector ${HOSTILE} 1.4.0 evaluated`);
      expect(await card.locator('.bk-fields').first().innerText()).toContain(`Model\nfraud-detector ${HOSTILE}`);
      expect(await card.locator('.bk-pre').first().innerText()).toMatch(/F1\s+0\.91\s+0\.88\s+\+0\.03\s+▲ better/);
      expect(await card.locator('.bk-context .bk-link').first().getAttribute('href')).toBe('https://airflow.example/dags/x?a=1&b=%3C2%3E');
      expect(
        await card.locator('button[data-action-id]').evaluateAll((bs) => bs.map((b): (string | null)[] => [b.textContent, b.getAttribute('class')])),
      ).toEqual([
        ['Deploy', 'bk-button bk-button-primary'],
        ['Reject', 'bk-button bk-button-danger'],
      ]);
      const raw = page.locator('.msg[data-ts="1764896700.000100"] .msg-content');
      expect(await raw.innerText()).toContain('@Ada @here bold');
      expect(await raw.locator('.bk-bold').textContent()).toBe('bold');
      const marks = page.locator('.msg[data-ts="1764896750.000100"] .msg-content');
      expect(await marks.locator('blockquote').innerText()).toMatch(
        /^quoted it gone 🚀 :no_such_emoji: #ml-alerts \d{4}-\d\d-\d\d the fallback __init__ click a \*b\*$/,
      );
      expect(await marks.locator('.bk-italic').textContent()).toBe('it');
      expect(await marks.locator('.bk-strike').textContent()).toBe('gone');
      expect(await marks.locator('.bk-code').textContent()).toBe('a *b*');
      expect(await marks.locator('a').count()).toBe(0);

      await page.click('.nav-item[data-channel="C0ALERTS"]');
      const alert = page.locator('.msg[data-ts="1764896300.000100"]');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alert.locator('.bk-pre').innerText()).toContain(`OOM ${HOSTILE}`);

      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('.bk-unsupported').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();

      // A Deploy click shows the view's confirm dialog first; only "Deploy" in it sends the action.
      await page.click('.nav-item[data-channel="C0FRAUD"]');
      await card.locator(`button[data-action-id="${ActionId.Deploy}"]`).click();
      const dialog = page.locator('.confirm-dialog');
      await dialog.waitFor({ timeout: 10_000 });
      expect(await dialog.locator('.dialog-title').textContent()).toBe('Deploy 1.4.0?');
      await dialog.locator('[data-role="deny"]').click();
      expect(posts.filter((p) => p.url === '/api/action')).toEqual([]);
      await card.locator(`button[data-action-id="${ActionId.Deploy}"]`).click();
      await dialog.locator('[data-role="confirm"]').click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      expect(posts.filter((p) => p.url === '/api/action')).toEqual([
        {
          url: '/api/action',
          body: expect.objectContaining({
            user: 'U0APPROVER',
            channel: 'C0FRAUD',
            messageTs: '1764896600.000100',
            actionId: ActionId.Deploy,
            isEphemeral: false,
          }),
        },
      ]);

      // Ephemerals are shown to their user only.
      expect(await page.locator('.msg[data-ephemeral]').count()).toBe(0);
      await page.selectOption('#user-select', 'U0VIEWER');
      await page.locator('.msg[data-ephemeral] >> text=only for Vic').waitFor({ timeout: 10_000 });
      expect(await page.locator('.msg[data-ephemeral] .ephemeral-note').first().innerText()).toContain('Only visible to you');
    } finally {
      await page.close();
    }
  });
});

describe('npm run sandbox in a browser', () => {
  let sandbox: Sandbox;
  let page: Page;
  const APPROVER = 'U0SANDAPR1';
  const OPERATOR = 'U0SANDOPS1';
  const VIEWER = 'U0SANDVIEW';
  const fraud = SANDBOX_CHANNELS.fraud.id;

  beforeAll(async () => {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'error' } });
    page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    await page.goto(sandbox.url);
  }, 60_000);

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined when beforeAll failed
    await page?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined when beforeAll failed
    await sandbox?.stop();
  });

  const actAs = (user: string) => page.selectOption('#user-select', user);
  const openChannel = (id: string) => page.click(`.nav-item[data-channel="${id}"]`);

  async function command(text: string): Promise<void> {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  }

  /** `/mlops train fraud-detector` as the operator; opens the new run's thread and returns its evaluation card once it is there. */
  async function trainAndOpenRun(): Promise<{ runTs: string }> {
    await actAs(OPERATOR);
    await openChannel(fraud);
    const requested = page.locator('#messages .msg:not([data-ephemeral])', { hasText: 'Training of fraud-detector requested by' });
    const before = await requested.count();
    await command('/mlops train fraud-detector');
    const run = requested.nth(before);
    await run.locator('.replies').waitFor({ timeout: BOT_WAIT_MS });
    const runTs = (await run.getAttribute('data-ts')) ?? '';
    await run.locator('.replies').click();
    await page.locator(`#thread-messages .msg[data-ts="${runTs}"]`).waitFor({ timeout: BOT_WAIT_MS });
    return { runTs };
  }

  /** Waits for the message's chart to load (decoded, chart-sized) and screenshots the message into docs/screenshots (the README shows them). */
  async function screenshotChart(message: Locator, file: string): Promise<void> {
    const img = message.locator('img.bk-image').first();
    await img.waitFor({ timeout: BOT_WAIT_MS });
    await img.scrollIntoViewIfNeeded();
    const width = await img.evaluate((el) => {
      const image = el as unknown as { complete: boolean; naturalWidth: number; addEventListener(type: string, f: () => void): void };
      if (image.complete && image.naturalWidth > 0) return image.naturalWidth;
      return new Promise<number>((resolve, reject) => {
        image.addEventListener('load', () => resolve(image.naturalWidth));
        image.addEventListener('error', () => reject(new Error('the chart did not load')));
      });
    });
    expect(width).toBeGreaterThan(800);
    await message.screenshot({ path: path.join(SCREENSHOTS, file) });
  }

  async function evaluationCard(): Promise<string> {
    const card = page.locator('#thread-messages .msg:not([data-ephemeral])', { has: page.locator('.bk-header', { hasText: 'evaluated' }) });
    await card.locator('button[data-action-id="' + ActionId.Deploy + '"]').waitFor({ timeout: BOT_WAIT_MS });
    return (await card.getAttribute('data-ts')) ?? '';
  }

  it('trains, deploys with a confirmed click, shows the endpoint InService; refuses a viewer; rejects with a reason; shows a failure alert', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });

    // Train, and the evaluation card arrives in the run's thread.
    await trainAndOpenRun();
    const cardTs = await evaluationCard();
    const card = page.locator(`#thread-messages .msg[data-ts="${cardTs}"]`);
    const version = ((await card.locator('.bk-header').textContent()) ?? '').replace(/^fraud-detector (\S+) evaluated$/, '$1');
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'evaluation-card.png') });
    // The card's charts (metric trend and confusion-matrix heatmap) follow in its thread.
    const chartReply = page.locator('#thread-messages .msg:not([data-ephemeral])', { has: page.locator('img.bk-image') }).last();
    await screenshotChart(chartReply, 'evaluation-charts.png');

    // Deploy as the approver: the confirm dialog first, then the card turns into "live".
    await actAs(APPROVER);
    await card.locator(`button[data-action-id="${ActionId.Deploy}"]`).click();
    const dialog = page.locator('.confirm-dialog');
    await dialog.waitFor({ timeout: BOT_WAIT_MS });
    expect(await dialog.locator('.dialog-title').textContent()).toBe(`Deploy ${version}?`);
    await dialog.locator('[data-role="confirm"]').click();
    await card.locator('.bk-section', { hasText: `${version} is live on fraud-detector-prod` }).waitFor({ timeout: BOT_WAIT_MS });
    expect(await card.locator('button[data-action-id]').count()).toBe(0);
    expect(await card.locator('.edited').count()).toBe(1);

    // /mlops status: the endpoint InService with the new version.
    await page.click('#thread-close');
    await command('/mlops status fraud-detector');
    const status = page.locator('#messages .msg[data-ephemeral]', { hasText: 'InService' }).last();
    await status.waitFor({ timeout: BOT_WAIT_MS });
    expect(await status.innerText()).toContain(`deployed version ${version}`);
    expect(await status.locator('.ephemeral-note').innerText()).toContain('Only visible to you');
    expect(await status.locator('.bk-image-title').innerText()).toBe('fraud-detector-prod: last 3 hours');
    await screenshotChart(status, 'status-graph.png');

    // /mlops history: the metric trend above the lines.
    await command('/mlops history fraud-detector');
    const history = page.locator('#messages .msg[data-ephemeral]', { hasText: 'History of fraud-detector' }).last();
    await history.waitFor({ timeout: BOT_WAIT_MS });
    expect(await history.innerText()).toContain(version);
    await screenshotChart(history, 'history-trend.png');

    // A second candidate: the viewer's Deploy is refused (ephemeral, only to them), the approver rejects it with a reason.
    await trainAndOpenRun();
    const secondTs = await evaluationCard();
    const second = page.locator(`#thread-messages .msg[data-ts="${secondTs}"]`);
    await actAs(VIEWER);
    await second.locator(`button[data-action-id="${ActionId.Deploy}"]`).click();
    await dialog.locator('[data-role="confirm"]').click();
    const refusal = page.locator('#thread-messages .msg[data-ephemeral]', { hasText: 'You may not' });
    await refusal.waitFor({ timeout: BOT_WAIT_MS });
    expect(await second.locator(`button[data-action-id="${ActionId.Deploy}"]`).count()).toBe(1);
    await actAs(APPROVER);
    await refusal.waitFor({ state: 'detached', timeout: BOT_WAIT_MS });

    await second.locator(`button[data-action-id="${ActionId.Reject}"]`).click();
    const modal = page.locator('.modal');
    await modal.waitFor({ timeout: BOT_WAIT_MS });
    expect(await modal.locator('.dialog-title').textContent()).toBe('Reject candidate');
    // A blank reason comes back as response_action=errors, shown under the field; the modal stays.
    await modal.locator('textarea').fill('   ');
    await modal.locator('[data-role="submit"]').click();
    await modal.locator('.bk-input-error:not([hidden])').waitFor({ timeout: BOT_WAIT_MS });
    expect(await modal.locator('.bk-input-error').textContent()).toContain('reason');
    await modal.locator('textarea').fill('recall <dropped> on the holdout set & more');
    await modal.locator('[data-role="submit"]').click();
    await modal.waitFor({ state: 'detached', timeout: BOT_WAIT_MS });
    await second.locator('.bk-section', { hasText: '“recall <dropped> on the holdout set & more”' }).waitFor({ timeout: BOT_WAIT_MS });
    expect(await second.innerText()).toMatch(/Rejected by @Maya Chen/);

    // The next run fails: the failure alert in the alert channel.
    const [pipelineAnswer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/pipeline'), { timeout: BOT_WAIT_MS }),
      page.selectOption('#next-run', 'fail'),
    ]);
    expect(await pipelineAnswer.json()).toEqual(expect.objectContaining({ ok: true }));
    await page.click('#thread-close');
    await openChannel(SANDBOX_CHANNELS.alerts.id);
    const alerts = page.locator('#messages .msg', { has: page.locator('.bk-header', { hasText: 'fraud-detector training failed' }) });
    const alertsBefore = await alerts.count();
    await openChannel(fraud);
    await actAs(OPERATOR);
    await command('/mlops train fraud-detector');
    await openChannel(SANDBOX_CHANNELS.alerts.id);
    const alert = alerts.nth(alertsBefore);
    await alert.waitFor({ timeout: BOT_WAIT_MS });
    expect(await alert.innerText()).toContain('Failed task');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'failure-alert.png') });

    // The App Home tab, published for the acting user when opened.
    await page.click('#nav-home');
    const home = page.locator(`.home[data-home="${OPERATOR}"]`);
    await home.locator('.bk-header', { hasText: 'MLOps dashboard' }).waitFor({ timeout: BOT_WAIT_MS });
    await home.locator('.bk-section', { hasText: 'fraud-detector' }).first().waitFor({ timeout: BOT_WAIT_MS });
  }, 180_000);
});

describe('skip ahead in a browser', () => {
  let sandbox: Sandbox;
  let page: Page;

  beforeAll(async () => {
    // 08:30 in Berlin: +1 h reaches both the reminder (60 min) and the digest's 09:00.
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'error' }, startAt: new Date('2026-12-01T07:30:00Z') });
    page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    await page.goto(sandbox.url);
  }, 60_000);

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined when beforeAll failed
    await page?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined when beforeAll failed
    await sandbox?.stop();
  });

  it('reports drift, skips an hour: the DM reminder and the digest (with the drift) show; the time moves on the page', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.locator('#sandbox-skipped', { hasText: 'not skipped yet' }).waitFor({ timeout: BOT_WAIT_MS });
    const before = await page.locator('#sandbox-time').getAttribute('data-now');
    await page.click('#drift');
    await page.click(`.nav-item[data-channel="${SANDBOX_CHANNELS.fraud.id}"]`);
    await page.locator('#messages .msg', { hasText: 'Data drift on fraud-detector' }).first().waitFor({ timeout: BOT_WAIT_MS });

    await page.click('[data-skip="1h"]');
    await page.locator('#sandbox-skipped', { hasText: 'skipped ahead 1 h' }).waitFor({ timeout: BOT_WAIT_MS });
    const after = await page.locator('#sandbox-time').getAttribute('data-now');
    expect(Date.parse(after ?? '') - Date.parse(before ?? '')).toBeGreaterThanOrEqual(3_600_000);

    // Maya's DM with the bot: the reminder.
    await page.selectOption('#user-select', 'U0SANDAPR1');
    await page.click('#dm-list .nav-item');
    await page.locator('#messages .msg', { hasText: 'fraud-detector 1.4.0 is waiting for your decision' }).waitFor({ timeout: BOT_WAIT_MS });
    await page.locator('[data-skip="1h"]:enabled').waitFor({ timeout: BOT_WAIT_MS });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'skip-ahead-reminder.png') });

    await page.click(`.nav-item[data-channel="${SANDBOX_CHANNELS.digest.id}"]`);
    const digest = page.locator('#messages .msg', { has: page.locator('.bk-header', { hasText: 'MLOps digest' }) }).first();
    await digest.waitFor({ timeout: BOT_WAIT_MS });
    const text = await digest.innerText();
    expect(text).toContain('Waiting for approval');
    expect(text).toContain('Drift since yesterday');
    expect(text).toContain('fraud-detector');
    await digest.screenshot({ path: path.join(SCREENSHOTS, 'daily-digest.png') });
  }, 120_000);
});
