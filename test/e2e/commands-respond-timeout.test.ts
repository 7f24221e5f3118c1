import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { sendCommand, waitFor } from './commands-kit';

/** The bot's post-ack work slots (src/create-bot.ts POST_ACK_CONCURRENCY). */
const SLOTS = 8;

/**
 * A response_url that takes the request and never answers (a lost answer, as on a bad network)
 * must not hold a post-ack work slot: Bolt's respond() has no timeout, so eight such answers
 * used to stop every later command of the process.
 */
describe('a response_url that never answers frees its work slot', () => {
  let t: TestBot;
  let blackHole: Server;
  let blackHoleUrl: string;
  const swallowed: IncomingMessage[] = [];

  beforeAll(async () => {
    t = await startTestBot({ store: 'memory' });
    blackHole = createServer((req) => {
      swallowed.push(req); // read nothing back, answer nothing
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    blackHoleUrl = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/commands/T0/1/hung`;
  });
  afterAll(async () => {
    blackHole.closeAllConnections();
    await new Promise((resolve) => blackHole.close(resolve));
    await t.stop();
  });

  it('after every slot answered into a black hole, the next commands still get their answers', async () => {
    for (let i = 0; i < SLOTS; i++) {
      const res = await t.command('models', { responseUrl: blackHoleUrl });
      expect(res.status).toBe(200);
    }
    // Every slot is now waiting on an answer that will never come.
    await waitFor('the hung answers', () => (swallowed.length >= SLOTS ? true : undefined));

    const acks = await Promise.all(Array.from({ length: 3 }, () => sendCommand(t, 'models')));
    expect(acks.map((a) => a.status)).toEqual([200, 200, 200]);
    const answers = await t.slack.waitForResponses(3, 30_000);
    expect(answers).toHaveLength(3);
    expect(answers.every((a) => (a.text ?? '').includes('model'))).toBe(true);
    expect(swallowed.length).toBeGreaterThanOrEqual(SLOTS);
    // The hung answers were given up and logged, not silently dropped.
    await waitFor('the give-up logs', () => ((t.logs.text().match(/could not answer the user/g) ?? []).length >= SLOTS ? true : undefined), 30_000);
  }, 60_000);
});
