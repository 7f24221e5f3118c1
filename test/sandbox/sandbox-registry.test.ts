/**
 * The sandbox's Model Registry controls (issue 16): "Register a model package" puts a
 * PendingManualApproval package into the fake SageMaker and tells the bot as EventBridge would;
 * "Approve in Studio" approves it there. Used only through the page routes; the waits follow
 * /api/state (bounded polls), never the clock.
 */
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox';
import type { SandboxState } from '../../src/sandbox/sandbox-state';

const FRAUD = 'C0FRAUD01';

describe('the sandbox: SageMaker Model Registry controls', () => {
  let sandbox: Sandbox;
  const state = async (): Promise<SandboxState> => (await (await fetch(`${sandbox.url}api/state`)).json()) as SandboxState;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  async function until<T>(check: (s: SandboxState) => T | undefined, what: string, timeoutMs = 25_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = check(await state());
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'silent' }, seed: false });
  }, 40_000);
  afterAll(async () => {
    await sandbox.stop();
  });

  it('approving in Studio before anything is registered is refused with the reason', async () => {
    expect(await post('api/model-package', { action: 'approve' })).toEqual({ status: 400, json: { ok: false, error: 'register a model package first' } });
    expect((await post('api/model-package', { action: 'explode' })).status).toBe(400);
  });

  it('a registered package gets its card; approved in Studio, the card names the Studio user and the deployment DAG runs once', async () => {
    expect((await post('api/model-package', { action: 'register' })).json).toEqual({ ok: true });
    const card = await until((s) => s.messages.find((m) => m.channel === FRAUD && m.text.includes('fraud-detector 1.11.0 evaluated')), 'the package card');
    expect(JSON.stringify(card.blocks)).toContain('SageMaker Model Registry package fraud-detector-packages v1');
    expect((await post('api/model-package', { action: 'approve' })).json).toEqual({ ok: true });
    await until(
      (s) => (JSON.stringify(s.messages.find((m) => m.ts === card.ts)?.blocks ?? []).includes('approved in SageMaker by studio-user') ? true : undefined),
      'the card to name the Studio approval',
    );
    const deployments = () =>
      sandbox.aws
        .callsTo('lambda', 'Invoke')
        .filter((c) => JSON.stringify(c.body).includes('fraud_detector_deployment') && JSON.stringify(c.body).includes('1.11.0'));
    await until(() => (deployments().length > 0 ? true : undefined), 'the deployment trigger');
    expect([...new Set(deployments().map((c) => (c.body as { dag_run_id?: string }).dag_run_id))]).toEqual([
      expect.stringMatching(/^mlops_deploy__fraud-detector_1\.11\.0_/),
    ]);
  });
});
