/**
 * Listening on a configured port: a port in use is said in the words of the setting that chose it, not as EADDRINUSE.
 * The metrics server and the dashboard listen with it; `vigil run` checks the dashboard's port with it before the
 * runtime starts (the dashboard is served only once the runtime runs).
 */
import { createServer, type Server } from 'node:net';

/** Listen on `port` of `host`; rejects with `inUse` when the port is taken, with the error otherwise. */
export function listen(server: Pick<Server, 'once' | 'listen' | 'off'>, port: number, host: string, inUse: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new Error(inUse) : err);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Whether `port` of `host` is free: rejects with `inUse` when it is taken (0, any free port, always is). */
export async function checkPortFree(port: number, host: string, inUse: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, port, host, inUse);
  await new Promise<void>((r) => probe.close(() => r()));
}

/** The dashboard's port in use, in the words of its flag. */
export const dashboardPortInUse = (port: number | undefined): string => `dashboard port ${port} is in use; pick another with --dashboard PORT (0 = any free port)`;
