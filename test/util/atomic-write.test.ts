/**
 * Files replaced whole (runtime/util/atomic-write.ts): the target holds the old bytes or the new ones, and a write
 * that fails, at any step, leaves no temp file behind in the target's folder.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atomicWriteStream, writeFileAtomic } from '../../runtime/util/atomic-write.ts';

const folder = () => mkdtempSync(join(tmpdir(), 'vigil-atomic-'));

describe('writeFileAtomic', () => {
  it('replaces the file whole', () => {
    const dir = folder();
    const path = join(dir, 'f.txt');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new contents');
    expect(readFileSync(path, 'utf8')).toBe('new contents');
    expect(readdirSync(dir)).toEqual(['f.txt']);
  });

  it('leaves no temp file when the rename fails (the target is a folder)', () => {
    const dir = folder();
    const path = join(dir, 'taken');
    mkdirSync(path);
    expect(() => writeFileAtomic(path, 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});

describe('atomicWriteStream', () => {
  it('replaces the file on commit only, and abort leaves the old one', async () => {
    const dir = folder();
    const path = join(dir, 'f.csv');
    writeFileSync(path, 'old');
    const a = atomicWriteStream(path);
    a.stream.write('half');
    await a.abort();
    expect(readFileSync(path, 'utf8')).toBe('old');
    const b = atomicWriteStream(path);
    b.stream.write('new');
    await b.commit();
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['f.csv']);
  });

  it('leaves no temp file when the rename on commit fails (the target is a folder)', async () => {
    const dir = folder();
    const path = join(dir, 'taken');
    mkdirSync(path);
    const w = atomicWriteStream(path);
    w.stream.write('x');
    await expect(w.commit()).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
