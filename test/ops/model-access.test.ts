/**
 * A model vigil cannot read says why (a field probe: models copied in as root for a service running as its own user
 * read as "model card not found" or "not valid JSON"), and a model given as its folder says what is expected.
 * Permission is simulated (the suite may run as root, which reads anything): node:fs's readFileSync throws EACCES for
 * the files named in `denied`.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const denied = new Set<string>();
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: unknown, ...rest: unknown[]) => {
    if (typeof path === 'string' && denied.has(path)) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    return (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readFileSync;
  return { ...fs, readFileSync, default: { ...fs, readFileSync } };
});
const { loadModel } = await import('../../runtime/model/load.ts');

afterEach(() => denied.clear());

describe('model files vigil cannot read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-access-'));
  const model = writeTinyModel(dir, { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 1 });

  it('an unreadable card or ONNX file: permission denied, naming the file and the user', () => {
    expect(loadModel(model).card.name).toBe('pump');
    denied.add(`${model}.json`);
    expect(() => loadModel(model)).toThrow(new RegExp(`model card ${model}\\.json cannot be read: permission denied for user \\S+ \\(it needs read access`));
    denied.clear();
    denied.add(`${model}.onnx`);
    expect(() => loadModel(model)).toThrow(new RegExp(`model file ${model}\\.onnx cannot be read: permission denied for user`));
  });

  it('a missing card is still "not found", and a folder given as the model says what is expected', () => {
    expect(() => loadModel(join(dir, 'nope'))).toThrow(/model card not found: .*nope\.json/);
    expect(() => loadModel(dir)).toThrow(new RegExp(`model ${dir} is a folder; expected the model's path without extension, e\\.g\\. ${dir}/NAME`));
    // A folder that only shares the model's name (models/pump/ beside models/pump.json) does not hide the model (a review).
    mkdirSync(model, { recursive: true });
    expect(loadModel(model).card.name).toBe('pump');
  });
});
