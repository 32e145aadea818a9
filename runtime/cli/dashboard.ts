/**
 * The dashboard (the live page, static HTML reports) is its own package, @vigil/dashboard, which a gateway need not
 * install. The commands that serve or write one (`vigil run --dashboard`, `vigil score --html`, `vigil evaluate nab
 * --report`) load it here when asked, and say what to do when it is not installed; nothing else in the runtime
 * imports it.
 */
import { createServer } from 'node:net';

export type DashboardModule = typeof import('@vigil/dashboard');

/**
 * Rejects, naming the port, when `port` on `host` is taken. Checked before the runtime starts: the dashboard is served
 * once the runtime runs, and a port found in use only then had already taken the broker session of the vigil that
 * holds the port (a probe: the running twin logged "broker unreachable").
 */
export function checkDashboardPort(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new Error(`dashboard port ${port} is in use; pick another with --dashboard PORT (0 = any free port)`) : err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** The dashboard package, or an error that names it and `instead`, what to leave out to run without it. */
export async function loadDashboard(instead: string): Promise<DashboardModule> {
  try {
    return await import('@vigil/dashboard');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const missing = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && /@vigil\/dashboard(?![\w/-])/.test(e.message ?? '');
    if (!missing) throw err;
    throw new Error(`the dashboard is the @vigil/dashboard package: install it or ${instead}`, { cause: err });
  }
}
