/**
 * Package walls (docs/install.md, STYLE.md "Packages and their walls"): each workspace's `exports` names its public
 * surface, and nothing in the repo reaches past it. Every `@vigil/<pkg>/<subpath>` specifier in a source file must
 * resolve through node's own resolver (which refuses a subpath `exports` does not name), every target `exports`
 * names must exist, and a workspace's files never import another workspace's files by relative path. Tests, bench
 * and models/ are the root package: they may import by relative path, as the repo's own checks.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/** This file, whose probes below name subpaths on purpose. */
const self = relative(repo, fileURLToPath(import.meta.url)).split(sep).join('/');
const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { workspaces: string[] };

/** A workspace: its folder (relative to the repo), package name and `exports`. */
interface Workspace {
  dir: string;
  name: string;
  exports: Record<string, string>;
}

const workspaces: Workspace[] = root.workspaces.map((dir) => {
  const pkg = JSON.parse(readFileSync(join(repo, dir, 'package.json'), 'utf8')) as { name: string; exports?: string | Record<string, string> };
  const exports = typeof pkg.exports === 'string' ? { '.': pkg.exports } : (pkg.exports ?? {});
  return { dir, name: pkg.name, exports };
});

/** Module specifiers in static imports and re-exports, `import()`, `import type`, `require()` and `require.resolve()`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*|\.resolve\s*\(\s*)(['"`])([^'"`$\n]+)\1/g;

/** The workspace a repo-relative file belongs to, if any. */
function workspaceOf(file: string): Workspace | undefined {
  return workspaces.find((w) => file.startsWith(`${w.dir}/`));
}

/** Where one source file reaches past a wall: a subpath its package does not export, or another workspace's file. */
function breaches(file: string, text: string): string[] {
  const out: string[] = [];
  const own = workspaceOf(file);
  const req = createRequire(join(repo, file));
  for (const [, , spec] of text.matchAll(SPECIFIER)) {
    if (spec.startsWith('@vigil/')) {
      try {
        req.resolve(spec);
      } catch (err) {
        out.push(`${file}: ${spec}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    } else if (own && spec.startsWith('.')) {
      const target = relative(repo, resolve(repo, dirname(file), spec)).split(sep).join('/');
      const other = workspaceOf(target);
      if (other && other !== own) out.push(`${file}: ${spec}: a file of ${other.name} by relative path; import it as ${other.name}/...`);
    }
  }
  return out;
}

/** Source files git knows of (tracked or not ignored), each with the text it holds now. */
function sources(): { file: string; text: string }[] {
  const ls = spawnSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(ls.status, ls.stderr).toBe(0);
  return ls.stdout
    .split('\n')
    .filter((f) => /\.(ts|mts|cts|mjs|cjs|js)$/.test(f) && f !== self && existsSync(join(repo, f)))
    .map((file) => ({ file, text: readFileSync(join(repo, file), 'utf8') }));
}

describe('package walls', () => {
  it('no workspace makes every file public, and every exported target exists', () => {
    for (const w of workspaces) {
      for (const [key, target] of Object.entries(w.exports)) {
        expect(key, `${w.name}: exports["${key}"]`).not.toContain('*');
        expect(existsSync(join(repo, w.dir, target)), `${w.name}: exports["${key}"] -> ${target} is not there`).toBe(true);
      }
    }
  });

  it('nothing imports a subpath a package does not export, nor another workspace by relative path', () => {
    const all = sources();
    expect(all.length).toBeGreaterThan(100);
    expect(all.flatMap(({ file, text }) => breaches(file, text))).toEqual([]);
  });

  it('tells a subpath the runtime keeps to itself, and a reach into another workspace, apart from the public ones', () => {
    const text = [
      "import { startRuntime } from '@vigil/runtime';",
      "import { Rng } from '@vigil/runtime/util/prng.ts';",
      "import { createPipeline } from '@vigil/runtime/stream/pipeline.ts';",
      "const { Pump } = await import('@vigil/simulators/synthetic/pump.ts');",
      "import { parseCard } from '../runtime/model/card.ts';",
    ].join('\n');
    expect(breaches('train/probe.ts', text)).toEqual([
      'train/probe.ts: @vigil/runtime/stream/pipeline.ts: ERR_PACKAGE_PATH_NOT_EXPORTED',
      'train/probe.ts: @vigil/simulators/synthetic/pump.ts: ERR_PACKAGE_PATH_NOT_EXPORTED',
      'train/probe.ts: ../runtime/model/card.ts: a file of @vigil/runtime by relative path; import it as @vigil/runtime/...',
    ]);
    // The root package's own checks (tests, bench) may import by relative path.
    expect(breaches('test/probe.ts', "import { parseCard } from '../runtime/model/card.ts';")).toEqual([]);
  });
});
