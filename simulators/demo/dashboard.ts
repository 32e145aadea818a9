/** Serve the live dashboard for a runtime started in-process (the demo), adapting the runtime handle to the feed. */
import type { RuntimeHandle } from '@vigil/runtime/ops/runtime.ts';

/** A dashboard that can be closed. */
export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

/**
 * Start the dashboard on `port` (0 = any free port) for `runtime`; `labels`: the replayed sensor's labelled incident
 * windows, shaded on its plots so an alert can be seen to land in one (or not).
 */
export async function startRuntimeDashboard(runtime: RuntimeHandle, port: number, labels?: { sensor: string; windows: { start: number; end: number }[] }): Promise<DemoDashboard> {
  // The same feed as `vigil run --dashboard`, so the demo shows exactly what a deployment shows, plus the labels.
  const { startDashboard, runtimeFeed } = await import('@vigil/dashboard');
  const windows = labels?.windows ?? [];
  const dash = await startDashboard(
    { ...runtimeFeed(runtime), ...(windows.length ? { labels: (s: string) => (s === labels!.sensor ? windows : []) } : {}) },
    { port, title: 'vigil demo' },
  );
  return { url: dash.url, close: () => dash.close() };
}
