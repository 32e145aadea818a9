/** Serve the live dashboard for a runtime started in-process (the demo), adapting the runtime handle to the feed. */
import type { RuntimeHandle } from '@vigil/runtime/ops/runtime.ts';

/** A dashboard that can be closed. */
export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

/** Start the dashboard on `port` (0 = any free port) for `runtime`. */
export async function startRuntimeDashboard(runtime: RuntimeHandle, port: number): Promise<DemoDashboard> {
  const { startDashboard } = await import('@vigil/runtime/dashboard/server.ts');
  const card = runtime.card();
  const dash = await startDashboard(
    {
      verdicts: runtime.verdicts,
      alerts: runtime.alerts,
      readings: runtime.readings,
      channels: card.channels,
      scaler: card.scaler,
      status: () => {
        const c = runtime.card();
        return {
          provider: runtime.provider(),
          batchSize: runtime.config.batch.size,
          latencyMs: runtime.latency(),
          model: { name: c.name, version: c.version },
          source: `${runtime.config.broker.url} ${runtime.config.source.topics.join(' ')}`,
        };
      },
    },
    { port, title: 'vigil demo' },
  );
  return { url: dash.url, close: () => dash.close() };
}
