/** makeDirs (runtime/util/make-dirs.ts): `mkdir -p` that fails at once where Node's recursive mkdir never returns. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '../../runtime/util/make-dirs.ts';

describe('makeDirs', () => {
  it('makes every missing folder, and leaves existing ones be', () => {
    const root = mkdtempSync(join(tmpdir(), 'make-dirs-'));
    makeDirs(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(join(root, 'a', 'b'));
    makeDirs(root);
  });

  it.runIf(existsSync('/proc/self'))('fails at once under procfs (a probe: state.file /proc/x/state.json spun at 100 % CPU for ever)', () => {
    const t = Date.now();
    expect(() => makeDirs('/proc/vigil-make-dirs-test/state')).toThrow(/ENOENT/);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});
