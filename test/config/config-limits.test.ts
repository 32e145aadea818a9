/**
 * Config limits that keep a gateway's output bounded: alerts name at most 32 channels; errors name the key
 * and the accepted range.
 */
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';

const base = { model: 'm', broker: { url: 'mqtt://127.0.0.1:1883' }, source: { topics: ['s/+/d'] } };

describe('alerts.topChannels', () => {
  it('accepts 1..32 and defaults to 3', () => {
    expect(defineConfig(base).alerts.topChannels).toBe(3);
    for (const n of [1, 8, 32]) expect(defineConfig({ ...base, alerts: { topChannels: n } }).alerts.topChannels).toBe(n);
  });

  it('refuses 0, 33, fractions and text, naming the key and the range', () => {
    for (const n of [0, -1, 33, 10_000, 2.5, 'three', '33']) {
      expect(() => defineConfig({ ...base, alerts: { topChannels: n as number } }), String(n)).toThrow(/alerts\.topChannels: expected an integer from 1 to 32/);
    }
  });
});
