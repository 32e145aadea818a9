/**
 * An unusable state file is set aside as `<file>.corrupt-<time>`, and only the newest KEEP_SET_ASIDE copies stay: a
 * probe that spoiled the state before every start (`echo '{}' > state.json`) left a copy per start in the state's
 * folder, with no end. The report says how many older copies went.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStates } from '../../runtime/thresholds/store.ts';
import { KEEP_SET_ASIDE, setAside } from '../../runtime/util/set-aside.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-set-aside-'));
  dirs.push(d);
  return d;
};

describe('state files set aside', () => {
  it('keeps the newest copies of a file spoiled at every start, and says how many older ones went', () => {
    const dir = folder();
    const path = join(dir, 'state.json');
    writeFileSync(join(dir, 'other.json.corrupt-2026-01-01T00-00-00-000Z'), 'another file\'s copy: not ours to remove');
    const problems: string[] = [];
    for (let start = 0; start < KEEP_SET_ASIDE + 3; start++) {
      writeFileSync(path, '{}');
      // A start a few ms after the last: copies are named by the millisecond.
      for (const end = Date.now() + 3; Date.now() < end; );
      const r = loadStates(path);
      expect(r.setAside && existsSync(r.setAside)).toBe(true);
      problems.push(r.problem ?? '');
    }
    const copies = readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-'));
    expect(copies).toHaveLength(KEEP_SET_ASIDE);
    expect(readdirSync(dir)).toContain('other.json.corrupt-2026-01-01T00-00-00-000Z');
    expect(problems[KEEP_SET_ASIDE - 1]).not.toMatch(/removed/);
    expect(problems[KEEP_SET_ASIDE]).toMatch(/; 1 older set-aside copy removed \(the newest 5 are kept\)$/);
  });

  it('keeps the newest by the time in their names, and leaves a file it cannot move where it is', () => {
    const dir = folder();
    const path = join(dir, 'state.json');
    const at = (i: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, i));
    for (let i = 0; i < KEEP_SET_ASIDE + 2; i++) {
      writeFileSync(path, `spoiled ${i}`);
      setAside(path, at(i));
    }
    const left = readdirSync(dir).sort();
    expect(left).toEqual(Array.from({ length: KEEP_SET_ASIDE }, (_, k) => `state.json.corrupt-${at(k + 2).toISOString().replace(/[:.]/g, '-')}`));
    expect(setAside(join(dir, 'missing.json'))).toEqual({ removed: 0 });
  });
});
