/**
 * The live dashboard: a small node:http server with one page and Server-Sent Events. It subscribes to a
 * `DashboardFeed`, keeps a bounded `DashboardStore`, and every tick sends each page the sensor list, status,
 * recent alerts and the new points of the sensor that page has selected.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import type { DashboardFeed } from './feed.ts';
import { PageTicks, clientOf, type TickOptions } from './ticks.ts';
import { DashboardStore, type StoreOptions } from './store.ts';
import { bundle, ortFile, stylesheet, template, ORT_DIR } from './assets.ts';
import { esc } from './page/format.ts';
import { httpGuard, type HttpGuardOptions } from '@vigil/runtime/util/http-guard.ts';
import { commandOf, notACommand, serveCommand, type CommandOptions } from '@vigil/runtime/ops/commands.ts';
import { dashboardPortInUse, listen } from '@vigil/runtime/util/listen.ts';
import type { KeptFileLogger } from '@vigil/runtime/util/kept-file.ts';
import { keepRecording } from './recording.ts';
import { boundedServer } from '@vigil/runtime/util/http-limits.ts';

/**
 * The page's Content-Security-Policy: scripts only from this server (the bundle), 'wasm-unsafe-eval' for
 * onnxruntime-web's wasm (in-browser scoring), inline style attributes (score bars, uPlot sizes; no script can
 * come from them), data: only for the empty favicon, and no framing, plugins, forms or base URL changes.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export type { TickMessage } from './ticks.ts';

/** Dashboard options. */
export interface DashboardOptions extends StoreOptions, TickOptions {
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to bind (default 127.0.0.1; use 0.0.0.0 to reach it from another machine). */
  host?: string;
  /** Page title. */
  title?: string;
  /** Host names served besides localhost, IP literals and `host` (config http.allowedHosts). */
  allowedHosts?: readonly string[];
  /** Token every request must carry (config http.token; a browser opens `/?token=...` once). */
  token?: string | null;
  /** The recording of recent closed alerts kept across a restart (dashboard/recording.ts); none: they start empty. */
  recording?: string;
  /** Where a recording that cannot be read or saved is said (default: stderr). */
  log?: KeptFileLogger;
  /** Told of each request the gate refuses (`vigil run`: the runtime's `httpRefused('dashboard')`, counted and logged). */
  onRefused?: HttpGuardOptions['onRefused'];
}

/** A running dashboard. */
export interface Dashboard {
  /** URL to open, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  port: number;
  /** The dashboard's memory of the pipeline (for tests and embedding). */
  store: DashboardStore;
  /** Stop serving and unsubscribe from the feed. */
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Start serving the dashboard for a feed. */
export async function startDashboard(feed: DashboardFeed, opts: DashboardOptions = {}): Promise<Dashboard> {
  const store = new DashboardStore({ channels: feed.channels, scaler: feed.scaler, ...opts });
  // Before the feed: the alerts of the last run are older than those restored open or still to come.
  const log = opts.log ?? { warn: (_o: object, m: string) => void process.stderr.write(`dashboard: ${m}\n`) };
  const recording = opts.recording ? keepRecording(opts.recording, store.spans, feed.alerts, log) : undefined;
  const subs = recordFeed(feed, store);
  const ticks = new PageTicks(store, feed, { ...opts, commands: !!(opts.token && feed.command) });
  const commands: CommandOptions = { tokened: !!opts.token, run: feed.command && ((what, sensor, windows, by) => feed.command!(what, sensor, windows, by)) };
  const handle = routes(ticks, opts.title ?? 'vigil', (req, res, command) => serveCommand(req, res, command, commands));
  const guard = httpGuard({ bindHost: opts.host ?? '127.0.0.1', allowedHosts: opts.allowedHosts, token: opts.token, csp: DASHBOARD_CSP, onRefused: opts.onRefused });
  const server = boundedServer((req, res) => {
    if (!guard(req, res)) return;
    handle(req, res).catch((err) => {
      if (!res.headersSent) reply(res, 500, 'text/plain', `dashboard error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  await listen(server, opts.port ?? 8080, opts.host ?? '127.0.0.1', dashboardPortInUse(opts.port));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
  // Bundle in the background now so the first page load is fast.
  bundle('live').catch((err) => process.stderr.write(`dashboard: page bundle failed: ${(err as Error).message}\n`));

  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    store,
    async close() {
      for (const s of subs) s.unsubscribe();
      recording?.stop();
      ticks.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Record the feed's streams in the store. */
function recordFeed(feed: DashboardFeed, store: DashboardStore): Subscription[] {
  const subs: Subscription[] = [];
  // A feed error must not take the dashboard down; it shows up as a stale page instead.
  const onError = (what: string) => (err: unknown) => process.stderr.write(`dashboard: ${what} stream failed: ${(err as Error)?.message ?? err}\n`);
  if (feed.readings) subs.push(feed.readings.subscribe({ next: (r) => store.addReading(r), error: onError('readings') }));
  if (feed.rejected) subs.push(feed.rejected.subscribe({ next: (r) => store.addRejected(r), error: onError('rejected') }));
  if (feed.refusing) subs.push(feed.refusing.subscribe({ next: (r) => store.addRefused(r.sensor, r.reason), error: onError('refusing') }));
  if (feed.adaptations) subs.push(feed.adaptations.subscribe({ next: (m) => store.addMark(m), error: onError('adaptations') }));
  // Alerts already open (restored after a restart): open on the page from the start, not "normal" until they close.
  for (const a of feed.openAlerts?.() ?? []) store.restoreOpen(a, feed.outside && ((v) => feed.outside!(v)));
  for (const s of feed.silentSensors?.() ?? []) store.restoreSilent(s.sensor, s.lastHeardAt);
  subs.push(feed.verdicts.subscribe({ next: (v) => store.addVerdict(v), error: onError('verdicts') }));
  subs.push(feed.alerts.subscribe({ next: (a) => store.addAlert(a), error: onError('alerts') }));
  return subs;
}

/**
 * The dashboard's pages and streams: the page, its bundle, styles and wasm files, /api/status, /events, /healthz; and
 * the page's commands, `POST /sensors/NAME/normal`, `/trained` and `/maintenance` (`serve`: @vigil/runtime/ops/commands.ts).
 */
function routes(ticks: PageTicks, title: string, serve: (req: IncomingMessage, res: ServerResponse, command: NonNullable<ReturnType<typeof commandOf>>) => void): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const command = commandOf(path);
    if (command) return serve(req, res, command);
    const miss = notACommand(path);
    if (miss) return reply(res, 404, 'application/json', `${JSON.stringify({ error: miss })}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'only GET is served\n');
    if (path === '/' || path === '/index.html') {
      return reply(res, 200, 'text/html; charset=utf-8', template('index.html').replaceAll('{{title}}', esc(title)));
    }
    if (path === '/assets/app.js') return replyZipped(req, res, MIME['.js'], await bundle('live'));
    if (path === '/assets/app.css') return reply(res, 200, 'text/css; charset=utf-8', stylesheet());
    if (path.startsWith(`/assets/${ORT_DIR}/`)) {
      const name = path.slice(`/assets/${ORT_DIR}/`.length);
      const file = ortFile(name);
      if (!file) return reply(res, 404, 'text/plain', `no such file: ${name}\n`);
      res.writeHead(200, { 'content-type': MIME[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'max-age=3600' });
      createReadStream(file).pipe(res);
      return;
    }
    if (path === '/api/status') {
      const c = clientOf(res, url);
      return reply(res, 200, 'application/json', JSON.stringify(ticks.message(c)));
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.socket?.setNoDelay(true);
      res.write('retry: 1000\n\n');
      const c = clientOf(res, url);
      ticks.clients.add(c);
      req.on('close', () => ticks.clients.delete(c));
      ticks.send(c, true);
      return;
    }
    if (path === '/healthz') return reply(res, 200, 'text/plain', 'ok\n');
    reply(res, 404, 'text/plain', `not found: ${path}\n`);
  };
}

const gzipped = new Map<string, Buffer>();

/** The page bundle is ~0.6 MB of text; gzip makes it ~0.15 MB for a gateway reached over a slow link. */
function replyZipped(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  if (!/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply(res, 200, type, body);
  let zipped = gzipped.get(body);
  if (!zipped) {
    gzipped.clear();
    zipped = gzipSync(body);
    gzipped.set(body, zipped);
  }
  res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', vary: 'accept-encoding', 'cache-control': 'no-cache' });
  res.end(zipped);
}

function reply(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(body);
}
