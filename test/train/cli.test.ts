/** `vigil train` as a user runs it: files written, card loads, clear errors for bad input. */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel } from '@vigil/runtime';
import { run } from '../../train/cli.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { quietly, tempDir } from './helpers.ts';

describe('vigil train', () => {
  const dir = tempDir();
  const csv = `${dir}/pump.csv`;
  writeFileSync(csv, toCsv(pumpSeries(300, 4).series));

  it('trains a conv model on 300 rows x 8 channels and writes onnx, a valid card and the loss curve', async () => {
    const { value, out } = await quietly(() => run(['--data', csv, '--out', `${dir}/m/pump`, '--epochs', '5', '--quiet', '--backend', 'wasm']));
    expect(value).toBe(0);
    expect(out).toMatch(/training engine: onnxruntime-node 1\.\d+\.\d+ \(cpu, 1 thread\)/);
    // The tfjs backend is named only when tfjs trains.
    expect(out).not.toMatch(/tfjs backend/);
    // How the held-out windows score, against the bar and the fitted windows.
    expect(out).toMatch(/held-out windows \(\d+\): median score [\d.]+ \(\d+ % of the threshold\), 99th percentile [\d.]+ \(\d+ %\); [\d.]+x the fitted windows' median/);
    expect(out).toMatch(/total time/);
    const { card } = loadModel(`${dir}/m/pump`);
    expect(card.channels).toHaveLength(8);
    expect(card.onnx.inputShape).toEqual([-1, 32, 8]);
    expect(card.errorStats.validation?.count).toBeGreaterThan(0);
    expect(card.threshold.static.value).toBeGreaterThanOrEqual(card.errorStats.validation!.max);
    expect(card.versions.tfjs).toMatch(/^4\./);
    expect(card.versions['onnxruntime-node']).toMatch(/^1\./);
    expect(card.training.backend).toBe('wasm');
    expect(card.training.engine).toMatch(/^onnxruntime-node /);
    // Every pump channel moved in every window: all are watched for a stuck transmitter, at twice the bar.
    expect(card.scoring.flatline?.channels).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(card.scoring.flatline!.score).toBeCloseTo(2 * card.threshold.static.value, 6);
    const svg = readFileSync(`${dir}/m/pump.loss.svg`, 'utf8');
    expect(svg).toMatch(/<svg[\s\S]*<path d="M/);
  });

  it('says the tfjs backend when tfjs trains', async () => {
    const { value, out } = await quietly(() => run(['--data', csv, '--out', `${dir}/m/tfjs`, '--epochs', '2', '--quiet', '--backend', 'wasm', '--engine', 'tfjs', '--arch', 'dense']));
    expect(value).toBe(0);
    expect(out).toMatch(/training engine: tfjs wasm.*; tfjs backend: wasm/);
  });

  it('--memory: off by default; on writes a calibrated residual memory into the card and says so; anything else is refused', async () => {
    const on = await quietly(() => run(['--data', csv, '--out', `${dir}/mem/on`, '--epochs', '5', '--quiet', '--backend', 'wasm', '--memory', 'on']));
    const memory = loadModel(`${dir}/mem/on`).card.scoring.residual?.memory;
    expect(memory?.lambda).toBe(0.1);
    expect(memory?.scale).toBeGreaterThan(0);
    expect(memory?.method).toMatch(/limit .* on \d+ held-out windows in order/);
    expect(on.out).toMatch(/residual memory: on/);
    await expect(quietly(() => run(['--data', csv, '--out', `${dir}/mem/bad`, '--memory', 'auto']))).rejects.toThrow(/--memory must be on or off, got 'auto'/);
    // Where there is no tracked residual state to hold it, the memory is refused rather than dropped.
    await expect(quietly(() => run(['--data', csv, '--out', `${dir}/mem/bad`, '--memory', 'on', '--track', '0']))).rejects.toThrow(/--memory on needs --score mahalanobis and --track > 0 .*got --score mahalanobis --track 0/);
    await expect(quietly(() => run(['--data', csv, '--out', `${dir}/mem/bad`, '--memory', 'on', '--score', 'error']))).rejects.toThrow(/--memory on needs .*got --score error --track 0.003/);
  });

  it('--track-drift: on by default, one drift per channel in the card and a line naming the channels that wandered; off: none', async () => {
    const on = await quietly(() => run(['--data', csv, '--out', `${dir}/d/on`, '--epochs', '5', '--quiet', '--backend', 'wasm']));
    const { card } = loadModel(`${dir}/d/on`);
    const drift = card.scoring.residual?.tracking?.drift;
    expect(drift).toHaveLength(8);
    expect(card.scoring.residual?.memory).toBeUndefined();
    const wandering = card.channels.filter((_, k) => drift![k] > 0);
    if (wandering.length) expect(on.out).toContain(`level drift: ${wandering.length} of 8 channel(s) wandered`);
    else expect(on.out).toContain("level drift: no channel's residual level moved");
    for (const ch of wandering.slice(0, 6)) expect(on.out).toContain(ch);
    const off = await quietly(() => run(['--data', csv, '--out', `${dir}/d/off`, '--epochs', '5', '--quiet', '--backend', 'wasm', '--track-drift', 'off']));
    expect(loadModel(`${dir}/d/off`).card.scoring.residual?.tracking?.drift).toBeUndefined();
    expect(off.out).not.toContain('level drift');
  });

  it('--track-trend: on by default, a channel that climbs steadily through training gets a trend in the card, named; off: none', async () => {
    // The pump's temperature climbing 0.05 per row (15 over 300 rows, far beyond its noise), as a rig heating up.
    const { series } = pumpSeries(300, 4);
    const k = series.channels.indexOf('temperature');
    const C = series.channels.length;
    for (let r = 0; r < series.timestamps.length; r++) series.data[r * C + k] += 0.05 * r;
    const heating = `${dir}/heating.csv`;
    writeFileSync(heating, toCsv(series));
    const on = await quietly(() => run(['--data', heating, '--out', `${dir}/t/on`, '--epochs', '5', '--quiet', '--backend', 'wasm']));
    const trend = loadModel(`${dir}/t/on`).card.scoring.residual?.tracking?.trend;
    expect(trend).toHaveLength(C);
    expect(trend!.flatMap((t, j) => (t > 0 ? [series.channels[j]] : []))).toEqual(['temperature']);
    expect(on.out).toMatch(/input trend: temperature \([\d.e-]+ per row\) climbed steadily through training/);
    const off = await quietly(() => run(['--data', heating, '--out', `${dir}/t/off`, '--epochs', '5', '--quiet', '--backend', 'wasm', '--track-trend', 'off']));
    expect(loadModel(`${dir}/t/off`).card.scoring.residual?.tracking?.trend).toBeUndefined();
    expect(off.out).not.toContain('input trend');
    await expect(quietly(() => run(['--data', heating, '--out', `${dir}/t/bad`, '--track-trend', 'yes']))).rejects.toThrow(/--track-trend must be on or off, got 'yes'/);
    // The way back to the trained level: on (no field: a card without it has it on) unless turned off.
    expect(loadModel(`${dir}/t/on`).card.scoring.residual?.tracking?.back).toBeUndefined();
    await quietly(() => run(['--data', heating, '--out', `${dir}/t/noback`, '--epochs', '5', '--quiet', '--backend', 'wasm', '--track-back', 'off']));
    expect(loadModel(`${dir}/t/noback`).card.scoring.residual?.tracking?.back).toBe(false);
    await expect(quietly(() => run(['--data', heating, '--out', `${dir}/t/bad`, '--track-back', 'no']))).rejects.toThrow(/--track-back must be on or off, got 'no'/);
  });

  it('--threshold-risk: same model (same seed), a lower risk gives a higher static level, named in the card', async () => {
    await quietly(() => run(['--data', csv, '--out', `${dir}/r/a`, '--epochs', '5', '--quiet', '--backend', 'wasm']));
    await quietly(() => run(['--data', csv, '--out', `${dir}/r/b`, '--epochs', '5', '--quiet', '--backend', 'wasm', '--threshold-risk', '1e-4']));
    const a = loadModel(`${dir}/r/a`).card.threshold.static;
    const b = loadModel(`${dir}/r/b`).card.threshold.static;
    expect(a.method).toMatch(/risk=0\.001,/);
    expect(b.method).toMatch(/risk=0\.0001,/);
    expect(b.value).toBeGreaterThan(a.value);
  });

  it('rejects bad options and data with messages that say what was expected', async () => {
    await expect(run(['--data', csv, '--out', `${dir}/x`, '--threshold-risk', '0.5', '--quiet'])).rejects.toThrow(/--threshold-risk must be in \(0, 0\.1\), got 0\.5/);
    await expect(run(['--data', csv, '--out', `${dir}/x`, '--arch', 'lstm'])).rejects.toThrow(/expected one of dense, conv/);
    await expect(run(['--data', csv, '--out', `${dir}/x`, '--window', '500', '--quiet'])).rejects.toThrow(/300 rows but --window is 500/);
    await expect(run(['--data', csv, '--out', `${dir}/x`, '--loss', 'bce', '--scaler', 'standard'])).rejects.toThrow(/needs --scaler minmax/);
    const bad = `${dir}/bad.csv`;
    writeFileSync(bad, 'timestamp,a,b\n2024-01-01T00:00:00Z,1,2\n2024-01-01T00:00:01Z,x,3\n');
    await expect(run(['--data', bad, '--out', `${dir}/x`])).rejects.toThrow(/bad\.csv:3: column 'a': 'x' is not a number/);
    expect(existsSync(`${dir}/x.onnx`)).toBe(false);
  });
});
