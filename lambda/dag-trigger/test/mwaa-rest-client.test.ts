import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StandardRetryStrategy } from '@smithy/util-retry';
import { mwaaRestClient, MwaaRestError } from '../src/mwaa-rest-client';

/** The client's deadline covers the whole answer: an MWAA that trickles its body cannot hold a caller. */
describe('mwaaRestClient deadline', () => {
  let server: Server;
  let url: string;
  const timers: NodeJS.Timeout[] = [];
  let requests = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"RestApiStatusCode": 200, "RestApiResponse": {"pad": "');
      // A byte every 50 ms: never idle long enough for an idle timeout.
      const timer = setInterval(() => res.write('x'), 50);
      timers.push(timer);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives up at the deadline with TimeoutError (retryable), after maxAttempts', async () => {
    const client = mwaaRestClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      endpoint: url,
      timeoutMs: 300,
      retryStrategy: new StandardRetryStrategy(2),
    });
    const error = await client.invokeRestApi('env', { method: 'GET', path: '/dags' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MwaaRestError);
    expect((error as MwaaRestError).errorType).toBe('TimeoutError');
    expect((error as MwaaRestError).retryable).toBe(true);
    // The SDK strategy's attempts, no more.
    expect(requests).toBe(2);
  });
});
