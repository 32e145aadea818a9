/**
 * Review repro: the alert journal keeps its descriptor open; a journal file removed (or replaced) by anything but the
 * journal itself takes every later append with it. Messages appended after that are on no path: a kill -9 loses them
 * although the journal was told to keep them. appendFileSync (the code before) created the file again.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeUnsent, unsentJournal } from '../../runtime/mqtt/unsent-alerts.ts';
import { capturingLogger } from '../ops/harness.ts';

const msg = (n: number) => ({ topic: 'rvws/alerts/k1', body: JSON.stringify({ n }) });

describe('review: journal file removed underneath the open descriptor', () => {
  it('an append after the file was removed is kept on disk (a kill -9 right after must not lose it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvws-journal-'));
    const file = join(dir, 'state-unsent-alerts.jsonl');
    const { logger } = capturingLogger('info');
    const j = unsentJournal(file, logger);
    j.append([msg(1)]);
    rmSync(file); // a cleanup, an operator, a second runtime's start on the same state file (takeUnsent removes it)
    j.append([msg(2)]);
    // kill -9 here: no close. The next start reads the file.
    const next = takeUnsent(file, logger);
    expect(next.map((m) => m.body)).toContain(JSON.stringify({ n: 2 })); // fails: []
  });

  it('an append after the file was replaced by a rename goes to the replaced inode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvws-journal-'));
    const file = join(dir, 'state-unsent-alerts.jsonl');
    const { logger } = capturingLogger('info');
    const j = unsentJournal(file, logger);
    j.append([msg(1)]);
    writeFileSync(`${file}.tmp`, '');
    renameSync(`${file}.tmp`, file); // e.g. keepUnsent's writeFileAtomic from another path
    j.append([msg(2)]);
    const next = takeUnsent(file, logger);
    expect(next.map((m) => m.body)).toContain(JSON.stringify({ n: 2 })); // fails: []
  });
});
