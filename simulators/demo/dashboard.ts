/** Serve the live dashboard for a runtime started in-process (the demo), adapting the runtime handle to the feed. */
import type { RuntimeHandle } from '@vigil/runtime/ops/runtime.ts';

/** A dashboard that can be closed. */
export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

/** Start the dashboard on `port` (0 = any free port) for `runtime`. */
export async function startRuntimeDashboard(runtime: RuntimeHandle, port: number): Promise<DemoDashboard> {
  // The same feed as `vigil run --dashboard`, so the demo shows exactly what a deployment shows.
  const { startDashboard, runtimeFeed } = await import('@vigil/dashboard');
  const dash = await startDashboard(
    runtimeFeed(runtime),
    { port, title: 'vigil demo' },
  );
  return { url: dash.url, close: () => dash.close() };
}
