/**
 * Files replaced whole (runtime/util/atomic-write.ts): the target holds the old bytes or the new ones, and a write
 * that fails, at any step, leaves no temp file behind in the target's folder.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { atomicWriteStream, removeStaleTemps, writeFileAtomic } from '../../runtime/util/atomic-write.ts';

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

describe('removeStaleTemps', () => {
  it('removes what a killed writer left beside the target, keeps another live writer\'s temp file', () => {
    const dir = folder();
    const path = join(dir, 'scores.csv');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a pid that has exited
    writeFileSync(`${path}.${dead}.1.tmp`, 'half a file');
    writeFileSync(`${path}.${process.ppid}.3.tmp`, 'another run still writing');
    writeFileSync(join(dir, 'other.csv.1.1.tmp'), 'not ours');
    expect(removeStaleTemps(path)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([`other.csv.1.1.tmp`, `scores.csv.${process.ppid}.3.tmp`]);
  });

  it('is done when an output stream opens, so a killed vigil score --out leaves nothing for the next run', async () => {
    const dir = folder();
    const path = join(dir, 'out.csv');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${path}.${dead}.1.tmp`, 'x'.repeat(1000));
    const out = atomicWriteStream(path);
    out.stream.write('a,b\n');
    await out.commit();
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });
});
