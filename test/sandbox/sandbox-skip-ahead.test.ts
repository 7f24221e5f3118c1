/**
 * "Skip ahead" in the sandbox (issue 16): the page moves the sandbox's time forward and the bot's
 * own jobs do the rest: the approval reminder in the card's thread and the approvers' DMs (+1 h),
 * the day's digest in #ml-digest (09:00 Berlin passed), the card expired without its buttons
 * (+1 day). Everything through the page's HTTP API; the waits follow /api/state (bounded polls).
 * The sandbox starts at 08:30 in Berlin, so the time of day the digest depends on is known.
 */
import { ActionId } from '../../src/slack/slack-ids';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox';
import type { SandboxState } from '../../src/sandbox/sandbox-state';

const FRAUD = 'C0FRAUD01';
const DIGEST = 'C0DIGEST1';
const APPROVERS = ['U0SANDAPR1', 'U0SANDAPR2'];
const START = '2026-12-01T07:30:00Z';

type Message = SandboxState['messages'][number];

function actionIdsOf(message: Pick<Message, 'blocks'>): string[] {
  return (message.blocks ?? []).flatMap((b) =>
    (b as { type?: string }).type === 'actions' ? ((b as { elements?: { action_id: string }[] }).elements ?? []).map((e) => e.action_id) : [],
  );
}

describe('the sandbox skips ahead: reminder, DM, digest and expiry from the real jobs', () => {
  let sandbox: Sandbox;

  const state = async (): Promise<SandboxState> => (await (await fetch(`${sandbox.url}api/state`)).json()) as SandboxState;
  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  async function until<T>(check: (s: SandboxState) => T | undefined, what: string, timeoutMs = 25_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: SandboxState | undefined;
    while (Date.now() < deadline) {
      last = await state();
      const found = check(last);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = (last?.messages ?? []).map((m) => `${m.channel} ${m.threadTs ?? ''} ${m.text.slice(0, 90)}`).join('\n  ');
    throw new Error(`timed out waiting for ${what}; messages:\n  ${seen}`);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'silent' }, startAt: new Date(START) });
  }, 40_000);
  afterAll(async () => {
    await sandbox.stop();
  });

  it('refuses a step it does not offer', async () => {
    expect((await post('api/clock', { skip: '3h' })).status).toBe(400);
    expect((await state()).clock.skippedMs).toBe(0);
  });

  it('+1 h: the reminder in the thread and a DM to each approver; 09:30 in Berlin: the digest; +1 day: the card expires without buttons', async () => {
    const before = await state();
    expect(Date.parse(before.clock.now) - Date.parse(START)).toBeGreaterThanOrEqual(0);
    expect(before.clock.digest).toEqual({ time: '09:00', timezone: 'Europe/Berlin' });
    const card = before.messages.find((m) => m.channel === FRAUD && m.text.startsWith('fraud-detector 1.4.0 evaluated'));
    expect(card).toBeDefined();
    expect(actionIdsOf(card ?? {})).toEqual(expect.arrayContaining([ActionId.Deploy, ActionId.Reject]));
    // Nothing is due yet: no reminder, no digest (08:30 in Berlin).
    expect(before.messages.filter((m) => m.threadTs === card?.ts && m.text.includes('waiting for a decision'))).toEqual([]);
    expect(before.messages.filter((m) => m.channel === DIGEST)).toEqual([]);

    const skipped = await post('api/clock', { skip: '1h' });
    expect(skipped.status).toBe(200);
    expect(skipped.json.skippedMs).toBe(3_600_000);
    expect(Date.parse(String(skipped.json.now)) - Date.parse(before.clock.now)).toBeGreaterThanOrEqual(3_600_000);

    const reminder = await until(
      (s) => s.messages.find((m) => m.channel === FRAUD && m.threadTs === card?.ts && m.text.startsWith('fraud-detector 1.4.0 is waiting for a decision')),
      'the reminder in the card thread',
    );
    for (const approver of APPROVERS) expect(JSON.stringify(reminder.blocks)).toContain(`<@${approver}>`);
    await until((s) => {
      const found = s.directMessages.filter((d) => s.messages.some((m) => m.channel === d.channel && m.text.includes('is waiting for your decision')));
      return found.length === APPROVERS.length ? found : undefined;
    }, 'a DM to each approver');
    const s1 = await state();
    for (const approver of APPROVERS) {
      const channel = s1.directMessages.find((d) => d.user === approver)?.channel;
      expect(s1.messages.some((m) => m.channel === channel && m.text.startsWith('fraud-detector 1.4.0 is waiting for your decision'))).toBe(true);
    }
    // The viewer and the operator are no approvers: no DM.
    const others = s1.directMessages.filter((d) => !APPROVERS.includes(d.user)).map((d) => d.channel);
    expect(s1.messages.filter((m) => others.includes(m.channel))).toEqual([]);

    const digest = await until((s) => s.messages.find((m) => m.channel === DIGEST), 'the digest in #ml-digest');
    expect(digest.text).toMatch(/^MLOps digest 2026-12-01: [1-9]\d* waiting for approval/);
    expect(JSON.stringify(digest.blocks)).toContain('fraud-detector 1.4.0');
    // The card is still live: the reminder does not touch it.
    expect(actionIdsOf((await state()).messages.find((m) => m.ts === card?.ts) ?? {})).toContain(ActionId.Deploy);

    expect((await post('api/clock', { skip: '1d' })).status).toBe(200);
    const expired = await until((s) => {
      const m = s.messages.find((x) => x.channel === FRAUD && x.ts === card?.ts);
      return m !== undefined && JSON.stringify(m.blocks).includes('Expired') ? m : undefined;
    }, 'the card to expire');
    expect(actionIdsOf(expired)).not.toContain(ActionId.Deploy);
    expect(actionIdsOf(expired)).not.toContain(ActionId.Reject);
    expect(JSON.stringify(expired.blocks)).toContain('/mlops deploy fraud-detector 1.4.0');
    // One reminder only, however far the time moved.
    const reminders = (await state()).messages.filter((m) => m.threadTs === card?.ts && m.text.includes('is waiting for a decision'));
    expect(reminders).toHaveLength(1);
  }, 60_000);

  it('reset: back to the start time, message times with it', async () => {
    expect((await post('api/clock', { skip: '7d' })).status).toBe(200);
    expect((await state()).clock.skippedMs).toBeGreaterThanOrEqual(7 * 24 * 3_600_000);
    expect((await post('api/reset', {})).status).toBe(200);
    const s = await state();
    expect(s.clock.skippedMs).toBe(0);
    const now = Date.parse(s.clock.now);
    expect(now - Date.parse(START)).toBeLessThan(3_600_000);
    // The seeded history was posted at the start time again, not a week later.
    const latest = Math.max(...s.messages.map((m) => Number.parseFloat(m.ts) * 1000));
    expect(latest).toBeLessThanOrEqual(now);
  }, 60_000);
});
