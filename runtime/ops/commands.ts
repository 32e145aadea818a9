/**
 * The commands vigil's HTTP servers take (the ops server and the dashboard; behind their guard, http-guard.ts): an
 * operator's word on one sensor (re-anchors.ts), `POST /sensors/NAME/normal` with a JSON body (`{}`, or
 * `{"windows": 32}`) and `POST /sensors/NAME/trained` (`{}`), `POST /sensors/NAME/maintenance` (`{"minutes": 120}`;
 * sensor-commands.ts), and `POST /sensors/NAME/release` (`{}`: its adaptation canaries, runtime/adapt/release-canaries.ts). They change what alerts, so they ask more than the
 * read-only pages do:
 * - `http.token` must be set: a command without one is refused whatever the bind address. Loopback alone is no
 *   boundary: a reverse proxy on the gateway (the setup http.allowedHosts '*' is for) makes every request come from
 *   127.0.0.1, and a review marked a faulty pump normal from the network that way, every 100 ms, its alert closing
 *   while the fault went on. With the token, the guard has checked it by now (a bearer header, or the browser's
 *   SameSite=Strict cookie, which a page on another site never sends);
 * - the body must be JSON (`content-type: application/json`): a page on another site can post a form or plain text
 *   without asking, but a JSON post only after a CORS preflight, which nothing here answers; a request the browser
 *   marks as from another site (`Sec-Fetch-Site`) is refused outright;
 * - at most 4 KiB of body, read within 10 s.
 * The answer is JSON: 202 with what will happen, or the refusal's status with `error`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CommandOutcome } from './re-anchors.ts';
import { commandArg, type OperatorCommand } from './sensor-commands.ts';

/** The largest body read (a command's options fit in far less). */
const MAX_BODY = 4096;

/** How long a command's body may take to arrive. */
const BODY_MS = 10_000;

const ROUTE = /^\/sensors\/([^/]+)\/(normal|trained|maintenance|release)$/;

/** The command a path names (`/sensors/NAME/normal`, `/trained`, `/maintenance` or `/release`, NAME percent-encoded), or undefined for any other path. */
export function commandOf(path: string): { sensor: string; what: OperatorCommand } | undefined {
  const m = ROUTE.exec(path);
  if (!m) return undefined;
  try {
    return { sensor: decodeURIComponent(m[1]), what: m[2] as OperatorCommand };
  } catch {
    return undefined;
  }
}

/**
 * What a request to `/sensors/...` that names no command is told (undefined for a command's path or any other): a
 * typo (`/normall`, `/Normal`, a trailing slash) got an empty 405, which says neither what was wrong nor what exists.
 */
export function notACommand(path: string): string | undefined {
  if (!path.startsWith('/sensors/') || commandOf(path)) return undefined;
  return `no command at ${path}: expected POST /sensors/NAME/normal, /sensors/NAME/trained, /sensors/NAME/maintenance or /sensors/NAME/release (NAME percent-encoded)`;
}

/** What serving a command needs of its server. */
export interface CommandOptions {
  /** Whether the server requires a token (its guard has checked it by now). */
  tokened: boolean;
  /** Run a command; absent when the server has no runtime behind it (the dashboard of a replay). */
  /** `arg`: the body's `windows` (normal) or `minutes` (maintenance). */
  run?: (what: OperatorCommand, sensor: string, arg: unknown, by: string) => CommandOutcome;
}

const answer = (res: ServerResponse, status: number, body: object): void =>
  void res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);

/** Refuse and stop reading a request whose body is too large or too slow. */
function cutOff(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  res.setHeader('connection', 'close');
  answer(res, status, { error });
  res.on('finish', () => req.destroy());
}

/** Serve a command (the request already passed the server's guard). */
export function serveCommand(req: IncomingMessage, res: ServerResponse, command: { sensor: string; what: OperatorCommand }, opts: CommandOptions): void {
  const usage = command.what === 'normal' ? '{} or {"windows": N}' : command.what === 'maintenance' ? '{"minutes": N}, or {} for an hour; 0 ends it' : '{}';
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end(`POST a JSON body (${usage}) to run it\n`);
  if (!opts.run) return answer(res, 409, { error: 'no runtime behind this server: nothing to re-anchor' });
  if (!opts.tokened) return answer(res, 403, { error: 'commands need http.token (or VIGIL_HTTP_TOKEN): without one, anyone who reaches this server, through a proxy too, could silence a sensor' });
  const site = String(req.headers['sec-fetch-site'] ?? '');
  if (site === 'cross-site' || site === 'same-site') return answer(res, 403, { error: 'a command from another site is refused' });
  if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) {
    return answer(res, 415, { error: `expected content-type: application/json and a JSON object body (${usage})` });
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return cutOff(req, res, 413, `expected a body of at most ${MAX_BODY} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  const slow = setTimeout(() => cutOff(req, res, 408, `the body took more than ${BODY_MS / 1000} s`), BODY_MS);
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
    else if (!res.headersSent) {
      clearTimeout(slow);
      cutOff(req, res, 413, `expected a body of at most ${MAX_BODY} bytes`);
    }
  });
  req.on('close', () => clearTimeout(slow));
  req.on('end', () => {
    clearTimeout(slow);
    if (res.headersSent) return;
    let body: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      body = text === '' ? {} : JSON.parse(text);
    } catch (err) {
      return answer(res, 400, { error: `expected a JSON object body (${usage}): ${(err as Error).message}` });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return answer(res, 400, { error: `expected a JSON object body (${usage})` });
    const given = commandArg(command.what, body as { windows?: unknown; minutes?: unknown });
    if ('error' in given) return answer(res, 400, { error: given.error });
    const out = opts.run!(command.what, command.sensor, given.arg, requester(req));
    if (out.ok) answer(res, 202, out);
    else answer(res, out.status, { error: out.error });
  });
}

/**
 * Who sent a request, for the log: its address, what a proxy says it forwarded it for (X-Forwarded-For: the proxy's
 * word, not proof), and its user agent. The token is shared, so this names a place and a client, not a person.
 */
function requester(req: IncomingMessage): string {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '').slice(0, 120);
  return `${req.socket.remoteAddress ?? 'unknown'}${forwarded ? ` for ${forwarded}` : ''} ${String(req.headers['user-agent'] ?? '').slice(0, 160)}`.trim();
}
