/** Adapt a running runtime (`startRuntime`'s handle) to the dashboard's feed, so `vigil run` and the demo show the same. */
import type { RuntimeHandle } from '../ops/runtime.ts';
import { redactUrl } from '../config/load.ts';
import type { DashboardFeed } from './feed.ts';

/** The dashboard feed of a runtime: its hot streams plus a status read on every tick (the card may hot-reload). */
export function runtimeFeed(handle: RuntimeHandle): DashboardFeed {
  const card = handle.card();
  return {
    verdicts: handle.verdicts,
    alerts: handle.alerts,
    readings: handle.readings,
    rejected: handle.rejected,
    channels: card.channels,
    scaler: card.scaler,
    status: () => {
      const c = handle.card();
      return {
        provider: handle.provider(),
        batchSize: handle.config.batch.size,
        latencyMs: handle.latency(),
        model: { name: c.name, version: c.version },
        rejected: [...handle.edge.rejected.values()].reduce((a, b) => a + b, 0),
        // Credentials in a broker URL are not for a page anyone on the network may open.
        source: `${redactUrl(handle.config.broker.url)} ${handle.config.source.topics.join(' ')}`,
      };
    },
  };
}
