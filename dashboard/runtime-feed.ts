/** Adapt a running runtime (`startRuntime`'s handle) to the dashboard's feed, so `vigil run` and the demo show the same. */
import type { RuntimeHandle } from '@vigil/runtime/ops/runtime.ts';
import { redactUrl } from '@vigil/runtime/util/redact-url.ts';
import { droppedByReason } from '@vigil/runtime/stream/counters.ts';
import { scoreLabelOf } from '@vigil/runtime/model/score-label.ts';
import { outsideChannels } from '@vigil/runtime/scoring/seen-range.ts';
import { trackedModel } from '@vigil/runtime/scoring/residual-baselines.ts';
import type { DashboardFeed } from './feed.ts';

/** The dashboard feed of a runtime: its hot streams plus a status read on every tick (the card may hot-reload). */
export function runtimeFeed(handle: RuntimeHandle): DashboardFeed {
  const card = handle.card();
  // Mean windows per batch between snapshots at least a second apart, so every page and tick reads the same figure.
  let mark = { at: Date.now(), batches: handle.counters.batches, scored: handle.counters.scored };
  let effective: number | undefined;
  const effectiveBatch = () => {
    const now = Date.now();
    const c = handle.counters;
    if (now - mark.at >= 1000) {
      const batches = c.batches - mark.batches;
      effective = batches > 0 ? (c.scored - mark.scored) / batches : undefined;
      mark = { at: now, batches: c.batches, scored: c.scored };
    }
    return effective;
  };
  // The broker's state as the runtime last reported it (its stream replays the current one on subscribe).
  let connected: boolean | undefined;
  handle.connection.subscribe((up) => (connected = up));
  return {
    verdicts: handle.verdicts,
    alerts: handle.alerts,
    // What the model judges: a reading refused out of order (a clock set back) drawn back in time had turned the plots
    // into a flat line (a probe).
    readings: handle.accepted,
    rejected: handle.rejected,
    refusing: handle.refusing,
    adaptations: handle.adaptation?.decisions,
    channels: card.channels,
    scaler: card.scaler,
    learning: (sensor) => handle.learning(sensor),
    openAlerts: () => handle.openAlerts(),
    isSilent: (sensor) => handle.isSilent(sensor),
    silentSensors: () => handle.silentSensors(),
    levelDrift: (sensor) => handle.levelDrift(sensor),
    inputShifts: (sensor) => handle.inputShifts(sensor),
    outside: (values) => outsideChannels(values, handle.card()),
    command: (what, sensor, windows, by) => handle.command(what, sensor, windows, by),
    reAnchoring: (sensor) => handle.reAnchoring(sensor),
    maintenance: (sensor) => handle.maintenance(sensor),
    status: () => {
      const c = handle.card();
      return {
        provider: handle.provider(),
        batchSize: handle.config.batch.size,
        effectiveBatch: effectiveBatch(),
        latencyMs: handle.latency(),
        model: { name: c.name, version: c.version },
        scoreLabel: scoreLabelOf(c),
        rejected: [...handle.edge.rejected.values()].reduce((a, b) => a + b, 0),
        dropped: droppedByReason(handle.counters),
        // Credentials in a broker URL are not for a page anyone on the network may open.
        source: `${redactUrl(handle.config.broker.url)} ${handle.config.source.topics.join(' ')}`,
        ...(connected !== undefined && { broker: connected ? 'connected' : 'lost' }),
        commands: trackedModel(c.scoring) !== undefined,
      };
    },
  };
}
