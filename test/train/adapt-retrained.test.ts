/**
 * A model retrained (`vigil train` over the served pair) while `NAME.versions/` still holds an earlier training's
 * adapted versions (train/adapt/ancestors.ts). The new chain reuses their numbers; a rollback of its first
 * adaptation must put back the retrained model it was adapted from, and the anchor must be one of its own ancestors:
 * before, `vigil adapt rollback` put back the earlier training's version 2 ("v2 -> v2"), and an adaptation with
 * `--anchor-age` (what `vigil run` passes) judged the new data by the old model and asked to roll back to it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel, type Series } from '@vigil/runtime';
import { trainModel } from '../../train/train.ts';
import { run } from '../../train/adapt/cli.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { drifted, quietly, sha256File, tempDir } from './helpers.ts';

const DAY = 86_400_000;


const sha = sha256File;
const train = async (data: string, out: string) => (await trainModel({ data, out, window: 16, hidden: [16], code: 4, epochs: 25, patience: 5, backend: 'wasm', onNote: () => {} })).model.dispose();
/** Bounds opened so that every adaptation here is written: the test is about which versions it keeps and undoes. */
const OPEN = ['--min-gain', '0', '--max-rise', '10', '--max-bar-rise', '100', '--max-change', '10', '--backend', 'wasm', '--quiet'];

describe('vigil adapt after a retrain over an adapted model', { timeout: 300_000 }, () => {
  const dir = tempDir('vigil-retrained-');
  const model = `${dir}/m/pump`;
  let retrained: { json: string; onnx: string };

  beforeAll(async () => {
    writeFileSync(`${dir}/old.csv`, toCsv(pumpSeries(900, 11).series));
    for (const k of [1, 2]) writeFileSync(`${dir}/old-step${k}.csv`, toCsv(drifted(pumpSeries(600, 20 + k).series, 0.3 * k, k)));
    writeFileSync(`${dir}/new.csv`, toCsv(drifted(pumpSeries(900, 31).series, 5, 30)));
    writeFileSync(`${dir}/new-recent.csv`, toCsv(drifted(pumpSeries(600, 32).series, 5.2, 31)));
    await train(`${dir}/old.csv`, model);
    for (const k of [1, 2]) expect((await quietly(() => run(['--model', model, '--data', `${dir}/old-step${k}.csv`, ...OPEN]))).out).toMatch(new RegExp(`^adapt: adapted .* v${k} -> v${k + 1}`));
    // Retrained on the new operating point: version 1 again, the earlier training's 1 and 2 still kept.
    await train(`${dir}/new.csv`, model);
    retrained = { json: sha(`${model}.json`), onnx: sha(`${model}.onnx`) };
  }, 300_000);

  it('anchors to the retrained model\'s own ancestors, never to the earlier training\'s versions', async () => {
    cpSync(`${dir}/m`, `${dir}/anchored`, { recursive: true });
    const r = await quietly(() => run(['--model', `${dir}/anchored/pump`, '--data', `${dir}/new-recent.csv`, '--anchor-age', String(3 * DAY), ...OPEN]));
    expect(r.out).not.toMatch(/roll back to/);
    expect(r.value).not.toBe(5);
  });

  it('keeps the retrained model it adapts from though the earlier training kept higher numbers (--keep 1)', async () => {
    // The store holds the earlier training's 1 and 2; kept by number, the retrained 1 went first and 2 stayed.
    cpSync(`${dir}/m`, `${dir}/keep1`, { recursive: true });
    const m = `${dir}/keep1/pump`;
    expect((await quietly(() => run(['--model', m, '--data', `${dir}/new-recent.csv`, '--keep', '1', ...OPEN]))).out).toMatch(/^adapt: adapted .* v1 -> v2/);
    expect((await quietly(() => run(['rollback', '--model', m]))).out).toMatch(/^adapt: rolled back .* v2 -> v1 /);
    expect(sha(`${m}.onnx`)).toBe(retrained.onnx);
  });

  it('rolls its first adaptation back to the retrained model, not to the earlier training\'s version of the same number', async () => {
    expect((await quietly(() => run(['--model', model, '--data', `${dir}/new-recent.csv`, ...OPEN]))).out).toMatch(/^adapt: adapted .* v1 -> v2/);
    const back = await quietly(() => run(['rollback', '--model', model]));
    expect(back.out).toMatch(/^adapt: rolled back .* v2 -> v1 /);
    expect(sha(`${model}.onnx`)).toBe(retrained.onnx);
    expect(sha(`${model}.json`)).toBe(retrained.json);
    expect(loadModel(model).card.lineage).toBeUndefined();
  });
});
