/**
 * A loopback fake of Slack's Socket Mode, for end-to-end tests of the bot with SLACK_APP_TOKEN.
 *
 * The protocol, as Slack documents it (docs.slack.dev "Using Socket Mode") and @slack/socket-mode
 * 3.1 speaks it: the app calls `apps.connections.open` with its app-level token (xapp-…) and gets a
 * `wss://` URL; on connecting, the server sends `{"type":"hello",…}`; then envelopes
 * `{"envelope_id","type":"slash_commands"|"interactive"|"events_api","payload",
 * "accepts_response_payload"}` that the app acknowledges with `{"envelope_id","payload"?}` (a
 * slash command's ack payload is shown to the user, like an HTTP ack body). The server refreshes
 * connections by sending `{"type":"disconnect","reason":"refresh_requested"}`; the app then opens a
 * new one. Here: `ws://127.0.0.1:<port>/link/?ticket=…`, installed as the fake Slack's answer to
 * `apps.connections.open` (install() again after a FakeSlack.reset(), which forgets handlers).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './fake-slack-server';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketModeAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
  /** Which connection (1-based, in opening order) carried the ack. */
  connection: number;
}

export interface FakeSocketMode {
  /** The base ws:// URL (apps.connections.open adds a ticket). */
  readonly url: string;
  /** Connections that got their `hello`, in total. */
  readonly connections: number;
  /** Connections open now. */
  readonly openConnections: number;
  readonly acks: readonly SocketModeAck[];
  /** (Re)installs the `apps.connections.open` answer on the fake Slack. */
  install(): void;
  /** Resolves once `count` connections in total got their hello. */
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Sends an envelope over the newest open connection and resolves with the app's ack; rejects
   * when no ack arrives within `timeoutMs` (Slack would retry an events_api envelope).
   */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<SocketModeAck>;
  /** Asks the app to reconnect, as Slack does before recycling a connection. */
  requestRefresh(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Drops every open connection without a close handshake (a network cut). */
  drop(): void;
  close(): Promise<void>;
}

const PING_INTERVAL_MS = 5000;

export async function startFakeSocketMode(slack: FakeSlack, opts: { appId?: string } = {}): Promise<FakeSocketMode> {
  const appId = opts.appId ?? 'A0MLOPS';
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/`;
  const open: { socket: WebSocket; n: number }[] = [];
  const acks: SocketModeAck[] = [];
  const waiting = new Map<string, (ack: SocketModeAck) => void>();
  const watchers = new Set<() => void>();
  let connections = 0;

  server.on('connection', (socket) => {
    connections += 1;
    const entry = { socket, n: connections };
    open.push(entry);
    // Slack pings its clients; @slack/socket-mode drops a connection that hears nothing for 30 s.
    const ping = setInterval(() => socket.ping(), PING_INTERVAL_MS).unref();
    socket.on('close', () => {
      clearInterval(ping);
      open.splice(open.indexOf(entry), 1);
    });
    socket.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse((Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8'));
      } catch {
        return; // Slack ignores what it cannot read
      }
      if (typeof message !== 'object' || message === null) return;
      const { envelope_id: id, payload } = message as { envelope_id?: unknown; payload?: unknown };
      if (typeof id !== 'string') return;
      const ack: SocketModeAck = {
        envelope_id: id,
        connection: entry.n,
        ...(typeof payload === 'object' && payload !== null && Object.keys(payload).length > 0 ? { payload: payload as Record<string, unknown> } : {}),
      };
      acks.push(ack);
      waiting.get(id)?.(ack);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
    for (const watch of [...watchers]) watch();
  });

  const install = (): void => {
    slack.setHandler('apps.connections.open', () => ({ ok: true, url: `${url}?ticket=${randomUUID()}&app_id=${appId}` }));
  };
  install();

  const newest = (): WebSocket => {
    const entry = open.filter((e) => e.socket.readyState === WebSocket.OPEN).at(-1);
    if (entry === undefined) throw new Error('fake Socket Mode: no open connection to deliver on');
    return entry.socket;
  };

  return {
    url,
    get connections() {
      return connections;
    },
    get openConnections() {
      return open.length;
    },
    acks,
    install,
    waitForConnections(count, timeoutMs = 15_000) {
      if (connections >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (connections < count) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`fake Socket Mode: waited ${timeoutMs} ms for ${count} connection(s), saw ${connections}`));
        }, timeoutMs);
        watchers.add(check);
      });
    },
    deliver(type, payload, { timeoutMs = 5000 } = {}) {
      const envelopeId = randomUUID();
      const socket = newest();
      return new Promise<SocketModeAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(envelopeId);
          reject(new Error(`fake Socket Mode: no ack for ${type} envelope ${envelopeId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(envelopeId, (ack) => {
          clearTimeout(timer);
          waiting.delete(envelopeId);
          resolve(ack);
        });
        socket.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
            ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
          }),
        );
      });
    },
    requestRefresh(reason = 'refresh_requested') {
      newest().send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
    },
    drop() {
      for (const { socket } of [...open]) socket.terminate();
    },
    async close() {
      for (const { socket } of [...open]) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
