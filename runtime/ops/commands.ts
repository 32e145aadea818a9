/**
 * The one command vigil's HTTP servers take (the ops server and the dashboard; behind their guard, http-guard.ts):
 * `POST /sensors/NAME/normal` with a JSON body (`{}`, or `{"windows": 32}`), an operator's "this sensor's present
 * behaviour is normal" (re-anchors.ts). It changes what alerts, so it asks more than the read-only pages do:
 * - a server reachable from the network takes it only with `http.token` set (bound to loopback, only this machine's
 *   users reach it);
 * - the body must be JSON (`content-type: application/json`): a page on another site can post a form or plain text
 *   without asking, but a JSON post only after a CORS preflight, which nothing here answers; and a request a browser
 *   marks as coming from another site (`Origin`, `Sec-Fetch-Site`) is refused outright.
 * The answer is JSON: 202 with what will happen, or the refusal's status with `error`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostName } from '../util/http-guard.ts';
import type { MarkNormalOutcome } from './re-anchors.ts';

/** The largest body read (a sensor's options fit in far less). */
const MAX_BODY = 4096;

const ROUTE = /^\/sensors\/([^/]+)\/normal$/;

/** The sensor a command path names (`/sensors/NAME/normal`, NAME percent-encoded), or undefined for any other path. */
export function commandSensor(path: string): string | undefined {
  const m = ROUTE.exec(path);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

/** Whether a server bound to `host` is reachable only from this machine. */
export function loopbackOnly(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** What serving a command needs of its server. */
export interface CommandOptions {
  /** The server's bind address. */
  bindHost: string;
  /** Whether the server requires a token (its guard has checked it by now). */
  tokened: boolean;
  /** Mark `sensor` normal; absent when the server has no runtime behind it (the dashboard of a replay). */
  markNormal?: (sensor: string, windows: unknown, by: string) => MarkNormalOutcome;
}

const answer = (res: ServerResponse, status: number, body: object): void =>
  void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);

/** Serve `POST /sensors/NAME/normal` for `sensor` (the request already passed the server's guard). */
export function serveCommand(req: IncomingMessage, res: ServerResponse, sensor: string, opts: CommandOptions): void {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST a JSON body ({} or {"windows": N}) to mark the sensor normal\n');
  if (!opts.markNormal) return answer(res, 409, { error: 'no runtime behind this server: nothing to mark normal' });
  if (!opts.tokened && !loopbackOnly(opts.bindHost)) {
    return answer(res, 403, { error: `this server listens on ${opts.bindHost} without a token: set http.token (or VIGIL_HTTP_TOKEN) to take commands from the network` });
  }
  const site = String(req.headers['sec-fetch-site'] ?? '');
  const origin = req.headers.origin;
  if (site === 'cross-site' || site === 'same-site' || (origin !== undefined && origin !== 'null' && !sameHost(origin, req.headers.host))) {
    return answer(res, 403, { error: 'a command from another site is refused' });
  }
  if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) {
    return answer(res, 415, { error: 'expected content-type: application/json and a JSON object body ({} or {"windows": N})' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return answer(res, 413, { error: `expected a body of at most ${MAX_BODY} bytes` });
    let body: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      body = text === '' ? {} : JSON.parse(text);
    } catch (err) {
      return answer(res, 400, { error: `expected a JSON object body ({} or {"windows": N}): ${(err as Error).message}` });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return answer(res, 400, { error: 'expected a JSON object body ({} or {"windows": N})' });
    const by = `${req.socket.remoteAddress ?? 'unknown'} ${String(req.headers['user-agent'] ?? '').slice(0, 80)}`.trim();
    const out = opts.markNormal!(sensor, (body as { windows?: unknown }).windows, by);
    if (out.ok) answer(res, 202, out);
    else answer(res, out.status, { error: out.error });
  });
}

/** Whether an Origin header names the same host as the Host header. */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && hostName(new URL(origin).host) === hostName(host);
  } catch {
    return false;
  }
}
