/** A trained model whose .onnx checksum, input shape or card format version is off is refused clearly. */
import { describe, expect, it, beforeAll } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel } from '@vigil/runtime';
import { trainModel } from '../../train/train.ts';
import { pumpSeries } from '@vigil/fixtures/pump.ts';
import { tempDir } from './helpers.ts';

describe('loading an exported model', () => {
  const dir = tempDir();
  beforeAll(async () => {
    const r = await trainModel({ data: pumpSeries(120, 1).series, out: `${dir}/ok`, arch: 'dense', window: 16, epochs: 2, backend: 'wasm' });
    r.model.dispose();
  });
  const variant = (name: string, edit: (card: Record<string, any>) => void, onnx?: (b: Buffer) => Buffer) => {
    const card = JSON.parse(readFileSync(`${dir}/ok.json`, 'utf8'));
    card.onnx.file = `${name}.onnx`;
    edit(card);
    writeFileSync(`${dir}/${name}.json`, JSON.stringify(card));
    if (onnx) writeFileSync(`${dir}/${name}.onnx`, onnx(readFileSync(`${dir}/ok.onnx`)));
    else copyFileSync(`${dir}/ok.onnx`, `${dir}/${name}.onnx`);
    return `${dir}/${name}`;
  };

  it('loads the untouched model', () => {
    expect(loadModel(`${dir}/ok`).card.window).toBe(16);
  });
  it('wrong checksum', () => {
    const m = variant('sum', () => {}, (b) => { const c = Buffer.from(b); c[c.length - 5] ^= 0xff; return c; });
    expect(() => loadModel(m)).toThrow(/sha256 [0-9a-f]{64}; expected [0-9a-f]{64}/);
  });
  it('wrong input shape', () => {
    const m = variant('shape', (c) => { c.onnx.inputShape = [-1, 17, 8]; });
    expect(() => loadModel(m)).toThrow(/inputShape \[-1,17,8\] does not match window 16 x 8 channels; expected \[-1, 16, 8\]/);
  });
  it('wrong card format version', () => {
    const m = variant('fv', (c) => { c.formatVersion = 99; });
    expect(() => loadModel(m)).toThrow(/card format version 99 is not supported; expected 1/);
  });
});
