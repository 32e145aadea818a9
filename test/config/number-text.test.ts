/**
 * A number written as text in a config (`port: "9100"`, as Ansible and Helm templates write it): read as the number
 * wherever a number is taken, text settings left as text, and other text refused naming the key and what it got.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../runtime/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-number-text-'));
const BASE = 'model: m\nbroker: { url: "mqtt://h:1883", protocolVersion: "5", clientId: "1234" }\nsource: { topics: ["t/{sensor}"], qos: "1" }\n';
const config = (name: string, rest: string) => {
  const p = join(dir, name);
  writeFileSync(p, BASE + rest);
  return p;
};

describe('numbers written as text', () => {
  it('reads digits as the number in every numeric setting, and keeps text settings text', () => {
    const cfg = loadConfig(config('quoted.yaml', 'metrics: { port: "9100" }\nalerts: { queueMax: "50", qos: "0", openK: "2", openN: "3", silent: { factor: "2.5", minMs: "5000" } }\n'), {}, {});
    expect(cfg.metrics.port).toBe(9100);
    expect(cfg.broker.protocolVersion).toBe(5);
    expect(cfg.source.qos).toBe(1);
    expect(cfg.alerts).toMatchObject({ queueMax: 50, qos: 0, openK: 2, openN: 3, silent: { factor: 2.5, minMs: 5000 } });
    expect(cfg.broker.clientId).toBe('1234');
  });

  it('checks the numbers read as it checks numbers written', () => {
    expect(() => loadConfig(config('range.yaml', 'metrics: { port: "99999" }\n'), {}, {})).toThrow(/metrics\.port: Too big: expected number to be <=65535/);
    expect(() => loadConfig(config('refine.yaml', 'alerts: { openK: "4", openN: "3" }\n'), {}, {})).toThrow(/alerts\.openK: openK must be <= openN/);
    expect(() => loadConfig(config('qos.yaml', 'alerts: { qos: "2" }\n'), {}, {})).toThrow(/alerts\.qos: expected 0 or 1$/);
  });

  it('refuses other text, naming the key, what was expected and the text given', () => {
    let message = '';
    try {
      loadConfig(config('bad.yaml', 'metrics: { port: "9,100" }\nalerts: { queueMax: "10_000", topChannels: "three", qos: "one" }\n'), {}, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('metrics.port: expected a number, got the string "9,100" (write the number alone: digits, no separators or units)');
    expect(message).toContain('alerts.queueMax: expected a number, got the string "10_000"');
    expect(message).toContain('alerts.topChannels: expected an integer from 1 to 32, got the string "three"');
    expect(message).toContain('alerts.qos: expected 0 or 1, got the string "one"');
  });
});
