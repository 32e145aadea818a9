/**
 * A temp folder with a tiny model (window 4, one channel `a`, threshold 2) for a test file's runtimes: made before
 * its tests, removed after. `model()` is the model's path once made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

export function tinyModelDir(prefix: string): { dir(): string; model(): string } {
  let dir = '';
  let model = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a'], threshold: 2 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { dir: () => dir, model: () => model };
}
