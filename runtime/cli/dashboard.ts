/**
 * The dashboard (the live page, static HTML reports) is its own package, @vigil/dashboard, which a gateway need not
 * install. The commands that serve or write one (`vigil run --dashboard`, `vigil score --html`, `vigil evaluate nab
 * --report`) load it here when asked, and say what to do when it is not installed; nothing else in the runtime
 * imports it.
 */
export type DashboardModule = typeof import('@vigil/dashboard');

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
