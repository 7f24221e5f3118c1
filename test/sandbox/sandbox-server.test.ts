/**
 * `npm run sandbox` (contract section 8, issue 12): the sandbox started as main.ts starts it, on a free
 * port, used only through its page routes. Every click and command goes to the real bot as a signed
 * Slack request; the waits follow /api/state (bounded polls), never the clock.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ActionId } from '../../src/slack/slack-ids';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox';
import type { SandboxState } from '../../src/sandbox/sandbox-state';

const FRAUD = 'C0FRAUD01';
const ALERTS = 'C0ALERTS1';
const APPROVER = 'U0SANDAPR1';
const OPERATOR = 'U0SANDOPS1';
const VIEWER = 'U0SANDVIEW';

type Message = SandboxState['messages'][number];

function actionsOf(message: Pick<Message, 'blocks'>): { action_id: string; value?: string }[] {
  return (message.blocks ?? []).flatMap((b) =>
    (b as { type?: string }).type === 'actions' ? ((b as { elements?: { action_id: string; value?: string }[] }).elements ?? []) : [],
  );
}

describe('the sandbox page server (npm run sandbox)', () => {
  let sandbox: Sandbox;

  const state = async (): Promise<SandboxState> => (await (await fetch(`${sandbox.url}api/state`)).json()) as SandboxState;
  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  /** Polls /api/state until `check` finds something (bounded). */
  async function until<T>(check: (s: SandboxState) => T | undefined, what: string, timeoutMs = 25_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: SandboxState | undefined;
    while (Date.now() < deadline) {
      last = await state();
      const found = check(last);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = (last?.messages ?? []).map((m) => `${m.channel} ${m.text.slice(0, 90)}`).join('\n  ');
    throw new Error(`timed out waiting for ${what}; messages:\n  ${seen}`);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'silent' } });
  }, 40_000);
  afterAll(async () => {
    await sandbox.stop();
  });

  it('serves the page and its files', async () => {
    const page = await fetch(sandbox.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html/i);
    const script = await fetch(`${sandbox.url}page/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${sandbox.url}page/..%2Fstart-sandbox.ts`)).status).toBe(404);
  });

  it('starts from the seeded history: channels, a model in production, a rejected candidate, a failure alert, a fresh evaluation card', async () => {
    const s = await state();
    expect(s.channels.map((c) => c.id)).toEqual(expect.arrayContaining([FRAUD, 'C0CHURN01', ALERTS, 'C0GENERAL']));
    expect(s.users.map((u) => u.role).sort()).toEqual(['approver', 'operator', 'second-approver', 'viewer']);
    const texts = s.messages.map((m) => `${m.channel} ${m.text}`);
    expect(texts).toContainEqual(expect.stringMatching(/^C0FRAUD01 .*fraud-detector 1\.3\.0 is live on fraud-detector-prod/));
    expect(texts).toContainEqual(expect.stringMatching(/^C0FRAUD01 fraud-detector 1\.3\.1 evaluated: .*Rejected/));
    expect(texts).toContainEqual(expect.stringMatching(/^C0ALERTS1 .*churn-model training failed/));
    const fresh = s.messages.find((m) => m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    expect(actionsOf(fresh ?? {}).map((a) => a.action_id)).toEqual(expect.arrayContaining([ActionId.Deploy, ActionId.Reject]));
    // The seeded rejection went through the real modal: nothing is left open.
    expect(s.modals).toEqual([]);
    expect(s.pipeline.nextRun).toBe('succeed');
  });

  it('refuses a Deploy click of a user with no rights, with an ephemeral answer to that user only', async () => {
    const card = (await state()).messages.find((m) => m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    if (card === undefined) throw new Error('no seeded card');
    const click = await post('api/action', { user: VIEWER, channel: card.channel, messageTs: card.ts, actionId: ActionId.Deploy });
    expect(click).toEqual({ status: 200, json: { ok: true } });
    const refusal = await until((s) => s.ephemerals.find((e) => e.user === VIEWER && e.text.includes('may not approve')), 'the refusal');
    expect(refusal.channel).toBe(FRAUD);
    const after = (await state()).messages.find((m) => m.ts === card.ts);
    expect(actionsOf(after ?? {}).map((a) => a.action_id)).toContain(ActionId.Deploy);
  });

  it('Reject opens the reason modal: an empty reason keeps it open with the error, a reason closes it and updates the card', async () => {
    const card = (await state()).messages.find((m) => m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    if (card === undefined) throw new Error('no seeded card');
    expect((await post('api/action', { user: APPROVER, channel: FRAUD, messageTs: card.ts, actionId: ActionId.Reject })).json).toEqual({ ok: true });
    const modal = await until((s) => s.modals.find((m) => m.user === APPROVER), 'the Reject modal');
    expect(modal.view).toMatchObject({ type: 'modal', title: { type: 'plain_text' }, submit: { type: 'plain_text' } });
    const input = (modal.view['blocks'] as { type: string; block_id: string; element: { action_id: string; type: string } }[]).find((b) => b.type === 'input');
    if (input === undefined) throw new Error('no input block in the modal');
    const values = (value: string) => ({ [input.block_id]: { [input.element.action_id]: { type: input.element.type, value } } });

    const empty = await post('api/view-submission', { user: APPROVER, viewId: modal.viewId, values: values('  ') });
    expect(empty.json).toEqual({ ok: true, response_action: 'errors', errors: { [input.block_id]: expect.any(String) } });
    expect((await state()).modals.map((m) => m.viewId)).toContain(modal.viewId);

    const done = await post('api/view-submission', {
      user: APPROVER,
      viewId: modal.viewId,
      values: values('Precision gain is within noise; wait for the November data'),
    });
    expect(done.json).toEqual({ ok: true });
    expect((await state()).modals).toEqual([]);
    const rejected = await until((s) => {
      const now = s.messages.find((m) => m.ts === card.ts);
      return now?.text.includes('Rejected') === true && actionsOf(now).length === 0 ? now : undefined;
    }, 'the card updated to rejected');
    expect(JSON.stringify(rejected.blocks)).toContain('November data');
  });

  it("App Home: opening the tab publishes the user's home view", async () => {
    expect((await post('api/home-opened', { user: APPROVER })).json).toEqual({ ok: true });
    const home = await until((s) => s.home[APPROVER], 'the published home view');
    expect(JSON.stringify(home.blocks)).toContain('fraud-detector');
  });

  it('nextRun fail: the next training fails with its error and a CloudWatch log link, alerted in the alert channel; then runs succeed again', async () => {
    expect((await post('api/pipeline', { nextRun: 'fail' })).json).toEqual({ ok: true });
    expect((await state()).pipeline.nextRun).toBe('fail');
    const before = new Set((await state()).messages.map((m) => m.ts));
    expect((await post('api/command', { user: OPERATOR, channel: 'C0CHURN01', text: 'train churn-model' })).json).toEqual({ ok: true });
    const alert = await until(
      (s) => s.messages.find((m) => !before.has(m.ts) && m.channel === ALERTS && m.text.includes('churn-model training failed')),
      'the failure alert',
    );
    expect(JSON.stringify(alert.blocks)).toContain('console.aws.amazon.com/cloudwatch');
    const s = await state();
    expect(s.pipeline.nextRun).toBe('succeed');
    expect(s.pipeline.runs).toContainEqual(expect.objectContaining({ model: 'churn-model', behaviour: 'fail', state: 'failed' }));
  });

  it('train → evaluation card → Deploy by the approver → deployed, and status shows the endpoint InService with the new version', async () => {
    const before = new Set((await state()).messages.map((m) => m.ts));
    expect((await post('api/command', { user: OPERATOR, channel: FRAUD, text: 'train fraud-detector' })).json).toEqual({ ok: true });

    const card = await until(
      (s) => s.messages.find((m) => !before.has(m.ts) && m.channel === FRAUD && actionsOf(m).some((a) => a.action_id === ActionId.Deploy)),
      'the evaluation card of the new run',
    );
    const version = /^fraud-detector (\d+\.\d+\.\d+) evaluated/.exec(card.text)?.[1];
    expect(version).toBe('1.5.0');
    expect((await state()).pipeline.runs).toContainEqual(expect.objectContaining({ dagId: 'fraud_detector_training', state: 'success', kind: 'training' }));

    // The page shows Deploy's confirm dialog; confirming sends the click.
    expect((await post('api/action', { user: APPROVER, channel: FRAUD, messageTs: card.ts, actionId: ActionId.Deploy })).json).toEqual({ ok: true });
    const deployed = await until((s) => {
      const now = s.messages.find((m) => m.ts === card.ts);
      return now?.edited === true && now.text.includes('Deployed') && actionsOf(now).length === 0 ? now : undefined;
    }, 'the card updated to deployed');
    expect(JSON.stringify(deployed.blocks)).toContain(`<@${APPROVER}>`);
    await until((s) => s.messages.find((m) => m.text.includes(`fraud-detector ${version ?? ''} is live on fraud-detector-prod`)), 'the live message');

    expect((await post('api/command', { user: APPROVER, channel: FRAUD, text: 'status fraud-detector' })).json).toEqual({ ok: true });
    const status = await until(
      (s) => s.ephemerals.find((e) => e.user === APPROVER && e.text.includes('fraud-detector-prod is InService')),
      'the status answer',
    );
    expect(status.text).toContain(`version ${version ?? ''}`);
    expect(status.text).toMatch(/invocations in 3 h, p99 [\d.]+ ms/);
  }, 60_000);

  it('reset: back to the seeded history with a fresh bot (the new run and its deployment are gone, the 1.4.0 card waits again)', async () => {
    expect((await post('api/reset', {})).json).toEqual({ ok: true });
    const s = await state();
    expect(s.messages.some((m) => m.text.includes('1.5.0'))).toBe(false);
    const card = s.messages.find((m) => m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    expect(actionsOf(card ?? {}).map((a) => a.action_id)).toContain(ActionId.Deploy);
    expect(s.ephemerals).toEqual([]);
    expect(s.pipeline.runs).toEqual([]);
  });

  it('issue 14: canary picked beside Deploy → the simulated rollout reports its traffic shifts in the thread, and the card names the strategy', async () => {
    const card = (await state()).messages.find((m) => m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    if (card === undefined) throw new Error('no 1.4.0 card');
    expect(actionsOf(card).map((a) => a.action_id)).toEqual([ActionId.StrategyPick, ActionId.Deploy, ActionId.Reject]);
    const canary = { text: { type: 'plain_text', text: 'canary 10 %, bake 10 min' }, value: '1' };
    expect(
      (await post('api/action', { user: APPROVER, channel: FRAUD, messageTs: card.ts, actionId: ActionId.StrategyPick, selectedOption: canary })).json,
    ).toEqual({ ok: true });
    expect((await post('api/action', { user: APPROVER, channel: FRAUD, messageTs: card.ts, actionId: ActionId.Deploy })).json).toEqual({ ok: true });
    await until((s) => s.messages.find((m) => m.channel === FRAUD && m.text.includes('10 % of traffic')), 'the first traffic shift in the thread');
    await until((s) => s.messages.find((m) => m.channel === FRAUD && m.text.includes('100 % of traffic')), 'the second');
    const live = await until((s) => {
      const now = s.messages.find((m) => m.ts === card.ts);
      return now !== undefined && JSON.stringify(now.blocks).includes('is live on fraud-detector-prod (canary 10 %, bake 10 min)') ? now : undefined;
    }, 'the card live with its strategy');
    expect(actionsOf(live)).toEqual([]);
  }, 60_000);

  it('GET /api/events streams the new version after each change', async () => {
    const controller = new AbortController();
    const response = await fetch(`${sandbox.url}api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const versions: number[] = [];
    const nextVersion = async (): Promise<number> => {
      for (;;) {
        const { value } = await reader.read();
        const found = [...new TextDecoder().decode(value).matchAll(/data: (\{.*\})/g)].map((m) => (JSON.parse(m[1] ?? '{}') as { version: number }).version);
        if (found.length > 0) return found.at(-1) ?? 0;
      }
    };
    versions.push(await nextVersion());
    expect((await post('api/pipeline', { nextRun: 'slow' })).json).toEqual({ ok: true });
    versions.push(await nextVersion());
    expect((await post('api/pipeline', { nextRun: 'succeed' })).json).toEqual({ ok: true });
    versions.push(await nextVersion());
    controller.abort();
    expect(versions[1]).toBeGreaterThan(versions[0] ?? Infinity);
    expect(versions[2]).toBeGreaterThan(versions[1] ?? Infinity);
    expect((await state()).version).toBe(versions[2]);
  });

  it('issue 15: the drift control posts a drift alert (model channel and, severity high, the alert channel); Retrain by the operator starts the training DAG; /mlops schedule lists the sandbox schedule', async () => {
    const before = new Set((await state()).messages.map((m) => m.ts));
    expect((await post('api/drift', { model: 'fraud-detector', signal: 'data', severity: 'high' })).json).toEqual({ ok: true });
    const alert = await until(
      (s) => s.messages.find((m) => !before.has(m.ts) && m.channel === FRAUD && m.text.includes('Data drift on fraud-detector')),
      'the drift alert',
    );
    await until(
      (s) => s.messages.find((m) => !before.has(m.ts) && m.channel === ALERTS && m.text.includes('Data drift on fraud-detector')),
      'the alert-channel copy',
    );
    expect(actionsOf(alert).map((a) => a.action_id)).toEqual([ActionId.DriftRetrain, ActionId.DriftSnooze, ActionId.DriftSnoozeUntil]);
    expect((await post('api/action', { user: OPERATOR, channel: FRAUD, messageTs: alert.ts, actionId: ActionId.DriftRetrain })).json).toEqual({ ok: true });
    await until((s) => s.pipeline.runs.find((r) => r.model === 'fraud-detector' && r.kind === 'training' && !before.has(r.runId)), 'the retraining run');
    await until(
      (s) => (JSON.stringify(s.messages.find((m) => m.ts === alert.ts)?.blocks ?? []).includes('Retraining started by') ? true : undefined),
      'the alert to name the run',
    );
    expect((await post('api/command', { user: VIEWER, channel: FRAUD, text: 'schedule demand-forecast' })).json).toEqual({ ok: true });
  });

  it('rejects malformed requests with 400 and the reason', async () => {
    const missing = await post('api/command', { user: APPROVER });
    expect(missing.status).toBe(400);
    expect(String(missing.json['error'])).toMatch(/channel/);
    const stranger = await post('api/command', { user: 'U0NOBODY', channel: FRAUD, text: 'help' });
    expect(stranger).toEqual({ status: 400, json: { ok: false, error: 'unknown user U0NOBODY' } });
    expect((await post('api/pipeline', { nextRun: 'explode' })).status).toBe(400);
  });
});

describe('the sandbox process (src/sandbox/main.ts)', () => {
  it('stops in process with nothing left keeping Node alive (servers, sockets, timers)', async () => {
    const alive = () => process.getActiveResourcesInfo().filter((r) => ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'Immediate'].includes(r)).length;
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    // Closed handles leave Node's list on a later turn of the loop: poll, bounded.
    const settle = async (done: () => boolean) => {
      for (let turn = 0; turn < 150 && !done(); turn++) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await settle(() => servers() === 0); // the suite above is still closing its sockets
    const before = alive();
    const sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'silent' } });
    await (await fetch(`${sandbox.url}api/state`)).text();
    const events = await fetch(`${sandbox.url}api/events`);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(servers()).toBe(4); // page, bot, Slack stand-in, fake AWS
    // An open event stream must not hold the stop.
    await sandbox.stop();
    await settle(() => servers() === 0 && alive() <= before);
    expect(servers()).toBe(0);
    expect(alive()).toBeLessThanOrEqual(before);
  }, 40_000);

  it('prints its URL, serves the page, and exits 0 on SIGTERM with nothing left running', async () => {
    const root = join(__dirname, '..', '..');
    // tsx runs the TypeScript entry as is: dist/ may be older than the sources under test.
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(root, 'src', 'sandbox', 'main.ts')], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', SANDBOX_PORT: '0', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(stdout);
        if (found) resolve(found[0]);
      });
      void exited.then((code) => reject(new Error(`exited ${String(code)} before printing a URL:\n${stdout}\n${stderr}`)));
    });
    expect((await fetch(url)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Error|NodeVersion/);
    // The port is closed: nothing of the sandbox outlived the process.
    await expect(fetch(url)).rejects.toThrow();
  }, 60_000);
});
