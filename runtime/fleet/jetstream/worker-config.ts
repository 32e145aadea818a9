/** The run config a JetStream worker reads (a separate file: config/load.ts imports the fleet schema). */
import type { RunConfig } from '../../config/schema.ts';
import { parseConfig } from '../../config/load.ts';

/**
 * The run config of a JetStream worker from a raw one. The worker reads no MQTT, so `broker` and `source.topics`
 * (required by the run schema for `vigil run`) are not used; when absent they are filled with placeholders that
 * nothing connects to. The other `source` keys (codec, timestamp, channels, maxPayloadBytes) decode the readings.
 */
export function workerRunConfig(raw: Record<string, unknown>): RunConfig {
  const source = (raw.source ?? {}) as Record<string, unknown>;
  return parseConfig({ ...raw, broker: raw.broker ?? { url: 'mqtt://unused.invalid' }, source: { ...source, topics: source.topics ?? ['unused/{sensor}'] } }, 'worker config');
}
