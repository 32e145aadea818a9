/**
 * `vigil adapt` started by a `vigil run` that is killed (-9) meanwhile writes nothing (train/adapt/parent-watch.ts):
 * a probe's orphaned child went on to write the adapted pair, which the restarted runtime then hot-loaded with no
 * rollback watch and no decision logged, counted or marked. The runtime names itself in the child's environment
 * (runtime/adapt/run-vigil.ts ADAPT_FOR_ENV); `vigil adapt` by hand names none and is not watched.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADAPT_FOR_ENV } from '@vigil/runtime/adapt/run-vigil.ts';
import { trainModel } from '../../train/train.ts';
import { run } from '../../train/adapt/cli.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { quietly, sha256File, tempDir } from './helpers.ts';

const sha = sha256File;
/** Bounds opened so that the adaptation would be written: the test is about who it is written for. */
const OPEN = ['--min-gain', '0', '--max-rise', '10', '--max-bar-rise', '100', '--max-change', '10', '--backend', 'wasm', '--quiet'];

describe('vigil adapt for a runtime that is gone', { timeout: 300_000 }, () => {
  const dir = tempDir('vigil-adapt-gone-');
  const model = `${dir}/m/pump`;

  beforeAll(async () => {
    writeFileSync(`${dir}/train.csv`, toCsv(pumpSeries(900, 11).series));
    writeFileSync(`${dir}/recent.csv`, toCsv(pumpSeries(600, 12).series));
    (await trainModel({ data: `${dir}/train.csv`, out: model, window: 16, hidden: [16], code: 4, epochs: 25, patience: 5, backend: 'wasm', onNote: () => {} })).model.dispose();
  });
  afterEach(() => void delete process.env[ADAPT_FOR_ENV]);

  it('writes nothing when the runtime that started it has exited, and says so', async () => {
    const before = { onnx: sha(`${model}.onnx`), card: sha(`${model}.json`) };
    // A process that has come and gone: its pid names no process now.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    process.env[ADAPT_FOR_ENV] = String(gone);
    const r = await quietly(() => run(['--model', model, '--data', `${dir}/recent.csv`, ...OPEN]));
    expect(r.out).toMatch(new RegExp(`^adapt: refused .* v1: the vigil run that started this adaptation \\(pid ${gone}\\) is gone: its restart decides afresh; nothing written`));
    expect(r.value).toBe(3);
    expect({ onnx: sha(`${model}.onnx`), card: sha(`${model}.json`) }).toEqual(before);
  });

  it('writes for a runtime that is there, and for a user at a shell (no runtime named)', async () => {
    process.env[ADAPT_FOR_ENV] = String(process.pid);
    expect((await quietly(() => run(['--model', model, '--data', `${dir}/recent.csv`, ...OPEN]))).out).toMatch(/^adapt: adapted .* v1 -> v2/);
    delete process.env[ADAPT_FOR_ENV];
    expect((await quietly(() => run(['--model', model, '--data', `${dir}/recent.csv`, ...OPEN]))).out).toMatch(/^adapt: adapted .* v2 -> v3/);
  });
});
