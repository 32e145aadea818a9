/**
 * One small HTTP server for operations: `/metrics` (Prometheus text), `/health` (JSON, 200 when serving and
 * 503 when not, e.g. broker down or inference failing). Bound to loopback by default.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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

/** Start the server on `port` (0: any free port). */
export async function startOpsServer(opts: { port: number; host: string; metrics: () => Promise<string>; contentType: string; health: () => HealthReport }): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
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
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`metrics.port ${opts.port} on ${opts.host} is in use; expected a free port (0 = any, null = no server)`) : err),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
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
