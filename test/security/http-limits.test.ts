/**
 * Slow and many clients cannot hold vigil's HTTP servers: a client that never finishes its headers (slowloris) is cut
 * off after HEADERS_TIMEOUT_MS (Node's default let it hold the connection 60 s and more), and past MAX_CONNECTIONS a
 * new connection is closed at once, on the ops server and the dashboard alike, while a dashboard page's event
 * stream, a response that lasts, is not cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { Subject } from 'rxjs';
import { startOpsServer, type OpsServer } from '../../runtime/ops/http.ts';
import { startDashboard, type Dashboard } from '../../dashboard/server.ts';
import { HEADERS_TIMEOUT_MS, MAX_CONNECTIONS } from '../../runtime/util/http-limits.ts';

let ops: OpsServer;
let dash: Dashboard;
beforeAll(async () => {
  ops = await startOpsServer({ port: 0, host: '127.0.0.1', metrics: async () => 'vigil_up 1\n', contentType: 'text/plain', health: () => ({ status: 'ok' as const }) });
  dash = await startDashboard({ verdicts: new Subject(), alerts: new Subject(), status: () => ({ provider: 'ort-node/cpu' }) }, { port: 0, tickMs: 50 });
});
afterAll(async () => {
  await ops?.close();
  await dash?.close();
});

/** A connection to `port`, and when the server closed it (ms after opening) with what it sent. */
function open(port: number): { socket: Socket; closed: Promise<{ afterMs: number; got: string }> } {
  const socket = connect(port, '127.0.0.1');
  const t0 = Date.now();
  let got = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (got += c));
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve({ afterMs: Date.now() - t0, got }))) };
}

describe('HTTP server limits', () => {
  it('cuts off a client that never finishes its headers, on both servers', { timeout: 60_000 }, async () => {
    const slow = [ops.port, dash.port].map((port) => {
      const c = open(port);
      c.socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      return c;
    });
    // An event stream is a response in progress: it outlives the headers timeout.
    const events = open(dash.port);
    events.socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const cut = await Promise.race([Promise.all(slow.map((c) => c.closed)), new Promise<null>((r) => setTimeout(() => r(null), HEADERS_TIMEOUT_MS * 3))]);
    expect(cut, `a slow client still held its connection after ${HEADERS_TIMEOUT_MS * 3} ms`).not.toBeNull();
    for (const c of cut!) expect(c.got).toMatch(/^HTTP\/1\.1 408/);
    expect(events.socket.destroyed).toBe(false);
    events.socket.destroy();
  });

  it(`closes connections past ${MAX_CONNECTIONS} at once and serves again when they go`, { timeout: 60_000 }, async () => {
    for (const port of [ops.port, dash.port]) {
      const held = Array.from({ length: MAX_CONNECTIONS }, () => open(port));
      await Promise.all(held.map((c) => new Promise((r) => c.socket.once('connect', r))));
      const extra = open(port);
      const closed = await Promise.race([extra.closed, new Promise<null>((r) => setTimeout(() => r(null), HEADERS_TIMEOUT_MS / 2))]);
      expect(closed, `connection ${MAX_CONNECTIONS + 1} was kept`).not.toBeNull();
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});
