/**
 * An alerts.topic without {sensor}: refused with alerts.retain (a broker retains one message per topic, so sensors
 * would overwrite each other's alert state), accepted without it and said at start and in --print-config.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config/load.ts';
import { banner } from '../../runtime/cli/run.ts';
import { printableConfig } from '../../runtime/cli/print-config.ts';
import { loadModel } from '../../runtime/model/load.ts';

const base = { model: 'models/machine_temperature', broker: { url: 'mqtt://127.0.0.1:1883' }, source: { topics: ['s/{sensor}/data'] } };
const handle = { card: () => loadModel(base.model).card, provider: () => 'ort-node/cpu', providerFailures: [] } as unknown as Parameters<typeof banner>[1];
const NOTE = "alerts.topic 'plant/alerts' has no {sensor}: every sensor's alerts share this one topic (each message names its sensor)";

describe('alerts.topic without {sensor}', () => {
  it('is refused with alerts.retain, saying why and what to write', () => {
    expect(() => parseConfig({ ...base, alerts: { topic: 'plant/alerts', retain: true } })).toThrow(
      "alerts.topic: expected {sensor} in the topic with alerts.retain: true, got 'plant/alerts' (a broker retains one message per topic, so one sensor's close would replace another's open alert); write e.g. 'plant/alerts/{sensor}', or set alerts.retain: false",
    );
    expect(parseConfig({ ...base, alerts: { topic: 'plant/{gateway}/{sensor}', retain: true } }).alerts.retain).toBe(true);
  });

  it('is accepted without alerts.retain, and the banner and --print-config say all sensors share it', () => {
    const shared = parseConfig({ ...base, alerts: { topic: 'plant/alerts' } });
    expect(banner(shared, handle)).toContain(`  alerts     plant/alerts (QoS 1)\n             ${NOTE}\n`);
    expect(printableConfig(shared).text).toContain(`# ${NOTE}\n`);
    const own = parseConfig(base);
    expect(banner(own, handle)).not.toContain('has no {sensor}');
    expect(printableConfig(own).text).not.toContain('has no {sensor}');
  });
});
