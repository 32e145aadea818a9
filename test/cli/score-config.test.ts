/**
 * `vigil score --config FILE` reads a `vigil run` config's model, threshold, smoothing, alerts and window sections
 * (durations as in the file), flags laid over it, so a historian replay scored offline runs under the gateway's own
 * settings: before, each had to be spelled again as a flag, and `window.readingIntervalMs` could not be at all.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, scoreConfig } from '../../runtime/cli/score.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-score-config-'));
  // Mean layer: the reconstruction is each channel's window mean, so a step scores high for a few windows.
  const model = writeTinyModel(dir, { name: 'cfg', window: 4, channels: ['value'], layers: [meanLayer(4, 1)], threshold: 1e6 });
  const values = Array.from({ length: 60 }, (_, i) => (i >= 30 && i < 34 ? 50 : Math.sin(i / 3)));
  const data = join(dir, 'data.csv');
  writeFileSync(data, `timestamp,value\n${values.map((v, i) => `${new Date(T0 + i * 1000).toISOString()},${v}`).join('\n')}\n`);
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    [
      `model: ${model}`,
      "broker: { url: 'mqtt://127.0.0.1:1883' }",
      "source: { topics: ['plant/+/data'] }",
      'threshold: { kind: static, value: 5 }',
      'alerts: { openK: 1, openN: 1, closeM: 2, cooldownMs: 1h }',
      'window: { gapResetMs: 10m, readingIntervalMs: 1000 }',
      '',
    ].join('\n'),
  );
  return { dir, model, data, config };
}

describe('vigil score --config', () => {
  it('takes the run config sections scoring uses, durations read, flags laid over them', () => {
    const { config, model } = fixture();
    const cfg = scoreConfig({ config });
    expect(cfg.model).toBe(model);
    expect(cfg.threshold).toMatchObject({ kind: 'static', value: 5 });
    expect(cfg.alerts).toMatchObject({ openK: 1, openN: 1, closeM: 2, cooldownMs: 3_600_000 });
    expect(cfg.window).toMatchObject({ gapResetMs: 600_000, readingIntervalMs: 1000 });
    // A flag wins over the file.
    expect(scoreConfig({ config, threshold: 'spot', alertClose: '7' })).toMatchObject({ threshold: { kind: 'spot' }, alerts: { closeM: 7, openK: 1 } });
    expect(() => scoreConfig({ data: 'x.csv' })).toThrow(/--model is required/);
  });

  it('scores a file as the same settings given as flags do, unlike the defaults', async () => {
    const { dir, data, config, model } = fixture();
    const out = (name: string) => join(dir, name);
    expect(await run(['--config', config, '--data', data, '--out', out('config.csv'), '--quiet'])).toBe(0);
    expect(await run(['--model', model, '--data', data, '--out', out('flags.csv'), '--quiet', '--threshold', '{"kind":"static","value":5}', '--alert-open', '1/1', '--alert-close', '2', '--cooldown', '3600000', '--gap-reset', '600000'])).toBe(0);
    expect(await run(['--model', model, '--data', data, '--out', out('defaults.csv'), '--quiet'])).toBe(0);
    const alerts = (name: string) => readFileSync(out(name), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    expect(alerts('config.csv')).toEqual(alerts('flags.csv'));
    expect(alerts('config.csv')).toContain('1');
    expect(alerts('defaults.csv')).not.toContain('1');
  });
});
