/**
 * One small HTTP server for operations: `/metrics` (Prometheus text), `/health` (JSON, 200 when serving and
 * 503 when not, e.g. broker down or inference failing), and the operator's commands `POST /sensors/NAME/normal` and
 * `/trained` (commands.ts). Bound to loopback by default; behind the Host check, security headers and optional token of
 * `../util/http-guard.ts` (/health stays open to probes).
 */
import type { Server } from 'node:http';
import { boundedServer } from '../util/http-limits.ts';
import type { AddressInfo } from 'node:net';
import { CSP_NONE, httpGuard, type HttpGuardOptions } from '../util/http-guard.ts';
import { listen } from '../util/listen.ts';
import { commandOf, notACommand, serveCommand } from './commands.ts';
import type { CommandOutcome } from './re-anchors.ts';
import type { OperatorCommand } from './sensor-commands.ts';

/** What /health reports. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'starting' | 'stopping';
  [key: string]: unknown;
}

/** A running ops server. */
export interface OpsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** What the ops server serves and how it is reached. */
export interface OpsServerOptions {
  /** TCP port (0: any free port). */
  port: number;
  host: string;
  metrics: () => Promise<string>;
  contentType: string;
  health: () => HealthReport;
  /** Host names served besides localhost, IP literals and `host` (config http.allowedHosts). */
  allowedHosts?: readonly string[];
  /** Bearer token required for /metrics (config http.token); /health stays open. */
  token?: string | null;
  /** Told of each request the gate refuses (runtime/ops/http-refusals.ts: counted and logged). */
  onRefused?: HttpGuardOptions['onRefused'];
  /** Run an operator's command on a sensor (re-anchors.ts), for `POST /sensors/NAME/normal`, `/trained` and `/maintenance`. */
  command?: (what: OperatorCommand, sensor: string, arg: unknown, by: string) => CommandOutcome;
}

/** Start the server on `port` (0: any free port). */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const guard = httpGuard({ bindHost: opts.host, allowedHosts: opts.allowedHosts, token: opts.token, csp: CSP_NONE, onRefused: opts.onRefused });
  const server: Server = boundedServer((req, res) => {
    if (!guard(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    const command = commandOf(path);
    if (command) return serveCommand(req, res, command, { tokened: !!opts.token, run: opts.command });
    const miss = notACommand(path);
    if (miss) return void res.writeHead(404, { 'content-type': 'application/json' }).end(`${JSON.stringify({ error: miss })}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      opts.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/health' || path === '/healthz') {
      const h = opts.health();
      res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics, /health, or POST /sensors/NAME/normal, /trained or /maintenance\n');
  });
  await listen(server, opts.port, opts.host, `metrics.port ${opts.port} on ${opts.host} is in use; expected a free port (0 = any, null = no server)`);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
