/**
 * The live dashboard: a small node:http server with one page and Server-Sent Events. It subscribes to a
 * `DashboardFeed`, keeps a bounded `DashboardStore`, and every tick sends each page the sensor list, status,
 * recent alerts and the new points of the sensor that page has selected.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import type { DashboardFeed, FeedStatus } from './feed.ts';
import type { ThresholdLearning } from '@vigil/runtime/thresholds/gate.ts';
import { DashboardStore, type StoreOptions } from './store.ts';
import { bundle, ortFile, stylesheet, template, ORT_DIR } from './assets.ts';
import { esc } from './page/format.ts';
import { httpGuard } from '@vigil/runtime/util/http-guard.ts';

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

/** Dashboard options. */
export interface DashboardOptions extends StoreOptions {
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to bind (default 127.0.0.1; use 0.0.0.0 to reach it from another machine). */
  host?: string;
  /** Push interval to pages, ms (default 500). */
  tickMs?: number;
  /** Page title. */
  title?: string;
  /** Most sensors listed per page update (default 300; the page's filter searches them all). */
  listLimit?: number;
  /** Host names served besides localhost, IP literals and `host` (config http.allowedHosts). */
  allowedHosts?: readonly string[];
  /** Token every request must carry (config http.token; a browser opens `/?token=...` once). */
  token?: string | null;
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

/** Everything a page gets on each tick. */
export interface TickMessage {
  now: number;
  /** `idleS`: seconds since the last reading or verdict (null before the first), to tell "no data" from "no page updates". */
  status: FeedStatus & { throughput: number; openAlerts: number; sensors: number; uptimeS: number; idleS: number | null };
  /** Sensors matching the page's filter, alerting first, at most `listLimit`. */
  sensors: ReturnType<DashboardStore['summaries']>;
  /** How many sensors there are, and how many match the filter (the list may show fewer). */
  listed: { total: number; matched: number };
  alerts: ReturnType<DashboardStore['recentAlerts']>;
  rejected: ReturnType<DashboardStore['rejected']>;
  /** Decisions of adaptation on the gateway, newest first. */
  marks: ReturnType<DashboardStore['marks']>;
  selected?: {
    name: string;
    channels: string[];
    /** True when `raw`/`scores` replace what the page holds rather than extend it. */
    reset: boolean;
    raw: ReturnType<DashboardStore['pointsSince']>['raw'];
    scores: ReturnType<DashboardStore['pointsSince']>['scores'];
    spans: ReturnType<DashboardStore['spansOf']>;
    /** What its adaptive threshold has learnt and kept out (absent for a static bar). */
    learning?: ThresholdLearning;
  };
}

interface Client {
  res: ServerResponse;
  sensor: string | null;
  filter: string;
  cursor: { raw: number; scores: number } | null;
  version: number;
  lastSent: number;
  blocked: boolean;
}

const HEARTBEAT_MS = 5000;

const MIME: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Start serving the dashboard for a feed. */
export async function startDashboard(feed: DashboardFeed, opts: DashboardOptions = {}): Promise<Dashboard> {
  const store = new DashboardStore({ channels: feed.channels, scaler: feed.scaler, ...opts });
  const started = Date.now();
  const subs: Subscription[] = [];
  // A feed error must not take the dashboard down; it shows up as a stale page instead.
  const onError = (what: string) => (err: unknown) => process.stderr.write(`dashboard: ${what} stream failed: ${(err as Error)?.message ?? err}\n`);
  if (feed.readings) subs.push(feed.readings.subscribe({ next: (r) => store.addReading(r), error: onError('readings') }));
  if (feed.rejected) subs.push(feed.rejected.subscribe({ next: (r) => store.addRejected(r), error: onError('rejected') }));
  if (feed.adaptations) subs.push(feed.adaptations.subscribe({ next: (m) => store.addMark(m), error: onError('adaptations') }));
  subs.push(feed.verdicts.subscribe({ next: (v) => store.addVerdict(v), error: onError('verdicts') }));
  subs.push(feed.alerts.subscribe({ next: (a) => store.addAlert(a), error: onError('alerts') }));

  const clients = new Set<Client>();
  const title = opts.title ?? 'vigil';

  function status(sensors: number): TickMessage['status'] {
    const m = store.measured();
    let s: FeedStatus = {};
    try {
      s = feed.status?.() ?? {};
    } catch {
      // A status callback that throws must not stop updates; measured values still show.
    }
    return {
      ...s,
      throughput: s.throughput ?? m.throughput,
      latencyMs: s.latencyMs ?? m.latencyMs,
      openAlerts: store.openAlerts(),
      sensors,
      uptimeS: Math.round((Date.now() - started) / 1000),
      idleS: store.lastDataAt ? Math.floor((Date.now() - store.lastDataAt) / 1000) : null,
    };
  }

  // One sorted sensor list per tick, shared by every open page (10,000 sensors take ~20 ms to list).
  let listed: { version: number; at: number; list: ReturnType<DashboardStore['summaries']> } | undefined;
  function summaries(): ReturnType<DashboardStore['summaries']> {
    const now = Date.now();
    if (!listed || listed.version !== store.version || now - listed.at > 1000) listed = { version: store.version, at: now, list: store.summaries() };
    return listed.list;
  }

  function message(c: Client): TickMessage {
    const all = summaries();
    const matched = c.filter ? all.filter((x) => x.name.toLowerCase().includes(c.filter)) : all;
    const limit = opts.listLimit ?? 300;
    // The selected sensor stays listed even when the cap would cut it.
    const sensors = matched.slice(0, limit);
    const sel = c.sensor && !sensors.some((x) => x.name === c.sensor) ? all.find((x) => x.name === c.sensor) : undefined;
    if (sel) sensors.push(sel);
    const msg: TickMessage = { now: Date.now(), status: status(all.length), sensors, listed: { total: all.length, matched: matched.length }, alerts: store.recentAlerts(20), rejected: store.rejected(), marks: store.marks() };
    if (c.sensor && store.has(c.sensor)) {
      const reset = c.cursor === null;
      const pts = store.pointsSince(c.sensor, c.cursor ?? undefined);
      c.cursor = store.cursor(c.sensor);
      const learning = feed.learning?.(c.sensor);
      msg.selected = { name: c.sensor, channels: store.channelsOf(c.sensor), reset, ...pts, spans: store.spansOf(c.sensor), ...(learning ? { learning } : {}) };
    }
    return msg;
  }

  function send(c: Client, force = false): void {
    if (c.blocked) return;
    const now = Date.now();
    if (!force && c.version === store.version && now - c.lastSent < HEARTBEAT_MS) return;
    c.version = store.version;
    c.lastSent = now;
    // A slow page skips ticks rather than growing a buffer here; its cursor makes the next tick catch up.
    const ok = c.res.write(`event: tick\ndata: ${JSON.stringify(message(c))}\n\n`);
    if (!ok) {
      c.blocked = true;
      c.res.once('drain', () => (c.blocked = false));
    }
  }

  const timer = setInterval(() => {
    for (const c of clients) send(c);
  }, opts.tickMs ?? 500);
  timer.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
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
      const c = client(res, url);
      return reply(res, 200, 'application/json', JSON.stringify(message(c)));
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.socket?.setNoDelay(true);
      res.write('retry: 1000\n\n');
      const c = client(res, url);
      clients.add(c);
      req.on('close', () => clients.delete(c));
      send(c, true);
      return;
    }
    if (path === '/healthz') return reply(res, 200, 'text/plain', 'ok\n');
    reply(res, 404, 'text/plain', `not found: ${path}\n`);
  }

  const guard = httpGuard({ bindHost: opts.host ?? '127.0.0.1', allowedHosts: opts.allowedHosts, token: opts.token, csp: DASHBOARD_CSP });
  const server = createServer((req, res) => {
    if (!guard(req, res)) return;
    handle(req, res).catch((err) => {
      if (!res.headersSent) reply(res, 500, 'text/plain', `dashboard error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`dashboard port ${opts.port} is in use; pick another with --dashboard PORT (0 = any free port)`) : err),
    );
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
  // Bundle in the background now so the first page load is fast.
  bundle('live').catch((err) => process.stderr.write(`dashboard: page bundle failed: ${(err as Error).message}\n`));

  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    store,
    async close() {
      clearInterval(timer);
      for (const s of subs) s.unsubscribe();
      for (const c of clients) c.res.end();
      clients.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function client(res: ServerResponse, url: URL): Client {
  return {
    res,
    sensor: url.searchParams.get('sensor') || null,
    filter: (url.searchParams.get('filter') ?? '').trim().toLowerCase(),
    cursor: null,
    version: -1,
    lastSent: 0,
    blocked: false,
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
