/**
 * The dashboard is its own package (@vigil/dashboard): the runtime neither depends on it nor imports it, except
 * through runtime/cli/dashboard.ts, which loads it when a command asks for one and, where it is not installed (a
 * gateway), says which package is missing and what to leave out instead.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the wall between runtime and dashboard', () => {
  it('the runtime imports the dashboard only in its loader, and does not depend on it or its build tools', () => {
    const importers = sources(join(repo, 'runtime'))
      .filter((f) => /(?:from|import\()\s*'(?:@vigil\/dashboard|[./]+dashboard\/)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(repo, f));
    expect(importers).toEqual(['runtime/cli/dashboard.ts']);
    const deps = Object.keys((JSON.parse(readFileSync(join(repo, 'runtime/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const d of ['@vigil/dashboard', 'esbuild', 'uplot']) expect(deps).not.toContain(d);
  });

  it('without @vigil/dashboard installed, asking for it names the package and what to leave out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-no-dashboard-'));
    try {
      copyFileSync(join(repo, 'runtime/cli/dashboard.ts'), join(dir, 'dashboard.ts'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(join(dir, 'main.ts'), [
        "import { loadDashboard } from './dashboard.ts';",
        "loadDashboard('leave out --report').then(() => console.log('loaded'), (e) => console.log(e.message));",
      ].join('\n'));
      const r = spawnSync(process.execPath, ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), 'main.ts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('the dashboard is the @vigil/dashboard package: install it or leave out --report');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
