/**
 * The sandbox shows the charts (issue 13): its evaluation cards get their chart reply, and the page
 * server serves the Slack stand-in's copy of each uploaded file at /files/<id> (what the page's
 * image blocks with `slack_file` load).
 */
import { PNG } from 'pngjs';
import { CANDIDATE_COLOUR } from '../../src/charts';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox';
import type { SandboxState } from '../../src/sandbox/sandbox-state';

interface ImageBlock {
  type: string;
  slack_file?: { id: string };
  alt_text: string;
}

describe('charts in the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ env: { SANDBOX_PORT: '0', LOG_LEVEL: 'silent' } });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('the seeded evaluation card has its charts in its thread, served as PNGs at /files/<id>', async () => {
    const deadline = Date.now() + 25_000;
    let images: ImageBlock[] = [];
    while (images.length === 0 && Date.now() < deadline) {
      const state = (await (await fetch(`${sandbox.url}api/state`)).json()) as SandboxState;
      images = state.messages
        .filter((m) => m.threadTs !== undefined)
        .flatMap((m) => (m.blocks ?? []) as ImageBlock[])
        .filter((b) => b.type === 'image' && b.slack_file !== undefined);
      if (images.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(images.length).toBeGreaterThanOrEqual(2);
    const response = await fetch(`${sandbox.url}files/${images[0]!.slack_file!.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    expect(png.width).toBeGreaterThanOrEqual(480);
    const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(CANDIDATE_COLOUR.slice(i, i + 2), 16));
    let found = false;
    for (let i = 0; i < png.data.length && !found; i += 4) found = png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b;
    expect(found).toBe(true);
    expect((await fetch(`${sandbox.url}files/F99999999`)).status).toBe(404);
  }, 40_000);
});
