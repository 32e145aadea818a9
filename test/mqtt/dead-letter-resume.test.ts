/**
 * The dead-letter file resumes after a failed write (issue 17.7). A full disk is real here: the file path is a
 * symlink to /dev/full, where every write fails with ENOSPC. The sink logs one warning, counts every dead letter
 * it could not write, and once the path is writable again (the symlink removed: a fresh file) later dead letters
 * reopen it and are written.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterSink } from '../../runtime/mqtt/dead-letter.ts';
import type { WarningClock } from '../../runtime/util/rate-limited-warning.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const rejection = (i: number) => ({ reason: 'bad_json', detail: `line ${i}`, topic: 't', payload: Buffer.from('{'), receivedAt: 0 });

/** A clock that moves only when the test says so; timers fire on `advance`. */
function manualClock() {
  let t = 0;
  const timers: { f: () => void; at: number }[] = [];
  const clock: WarningClock = {
    now: () => t,
    setTimeout: (f, ms) => timers.push({ f, at: t + ms }),
    clearTimeout: () => void timers.splice(0),
  };
  const advance = (ms: number) => {
    t += ms;
    for (const x of timers.splice(0)) if (x.at <= t) x.f();
      else timers.push(x);
  };
  return { clock, advance };
}

describe.skipIf(!existsSync('/dev/full'))('dead-letter file after ENOSPC', () => {
  it('warns once, counts what it lost, and writes again once the disk has room', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-dl-full-')), 'dead.jsonl');
    symlinkSync('/dev/full', file);
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const { clock, advance } = manualClock();
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 1 << 20, log: { warn: (fields, msg) => warnings.push({ fields: fields as Record<string, unknown>, msg }) }, retryMs: 1000, clock });

    for (let i = 0; i < 3; i++) sink.write(rejection(i));
    await waitFor(() => sink.dropped() === 3 && sink.failures() === 1, 'the three writes to fail', 5000, () => ({ dropped: sink.dropped(), failures: sink.failures() }));
    expect(sink.failures()).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].fields).toMatchObject({ errors: { ENOSPC: 1 } });
    expect(warnings[0].msg).toMatch(/dead-letter file not writable \(ENOSPC\).*retrying/);

    // The disk has room again, but the retry delay has not passed: the next dead letter is counted, not written.
    unlinkSync(file);
    sink.write(rejection(3));
    expect(sink.dropped()).toBe(4);
    expect(existsSync(file)).toBe(false);

    // After the delay, later dead letters reopen the file and are written.
    advance(1000);
    sink.write(rejection(4));
    sink.write(rejection(5));
    await sink.close();
    const written = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).detail);
    expect(written).toEqual(['line 4', 'line 5']);
    expect(sink.dropped() + written.length).toBe(6);
    expect(sink.failures()).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  it('sums failures within the interval into one later line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-dl-full-')), 'dead.jsonl');
    symlinkSync('/dev/full', file);
    const warnings: Record<string, unknown>[] = [];
    const { clock, advance } = manualClock();
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 1 << 20, log: { warn: (fields) => warnings.push(fields as Record<string, unknown>) }, retryMs: 0, clock });
    // Each write reopens the still-full file and fails again: three failures, one line now, one summing the rest.
    for (let n = 1; n <= 3; n++) {
      sink.write(rejection(n));
      await waitFor(() => sink.failures() === n, `failure ${n}`, 5000);
    }
    expect(warnings.map((w) => w.failures)).toEqual([1]);
    advance(10_000);
    expect(warnings.map((w) => w.failures)).toEqual([1, 2]);
    await sink.close();
  });
});

describe('dead-letter file removed from under the sink', () => {
  // Writes to a deleted file succeed (the open descriptor keeps its inode), so without a check every later dead
  // letter would vanish into it without a word until the size limit.
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).detail);

  it('reopens the path once it names another file or none', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-dl-gone-')), 'dead.jsonl');
    const { clock, advance } = manualClock();
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 1 << 20, retryMs: 1000, clock });
    sink.write(rejection(0));
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('line 0'), 'the first dead letter on disk', 5000);
    unlinkSync(file); // an operator (or a log rotation without copytruncate) removes it
    advance(1000);
    sink.write(rejection(1));
    sink.write(rejection(2));
    await sink.close();
    expect(lines(file)).toEqual(['line 1', 'line 2']);
    expect(sink.failures()).toBe(0);
  });

  it('warns while its folder is gone and writes again once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-dl-gone-'));
    const file = join(dir, 'dead.jsonl');
    const warnings: Record<string, unknown>[] = [];
    const { clock, advance } = manualClock();
    const sink = deadLetterSink(null, { topic: null, file, maxFileBytes: 1 << 20, log: { warn: (fields) => warnings.push(fields as Record<string, unknown>) }, retryMs: 1000, clock });
    sink.write(rejection(0));
    rmSync(dir, { recursive: true });
    advance(1000);
    sink.write(rejection(1));
    expect(sink.dropped()).toBe(1);
    expect(sink.failures()).toBe(1);
    // The warning counts the letter it could not write (it said 0 before counting it).
    expect(warnings).toEqual([expect.objectContaining({ errors: { ENOENT: 1 }, dropped: 1 })]);
    mkdirSync(dir);
    advance(1000);
    sink.write(rejection(2));
    await sink.close();
    expect(lines(file)).toEqual(['line 2']);
  });
});
