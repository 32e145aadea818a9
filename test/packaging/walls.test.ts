/**
 * The walls between vigil's packages (docs/architecture.md): which workspace may import which, read from the import
 * statements of every tracked source file, so a new import across a wall fails here instead of in a gateway install.
 * Dependencies point one way: runtime <- {train, simulators, dashboard} <- evaluate, plot for those that draw; fixtures serve tests and
 * benchmarks only. The runtime loads the dashboard only on demand (a dynamic import in one loader) and never imports
 * TensorFlow.js, training or evaluation.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Workspace folder -> the workspaces (and 'tfjs') it may import statically / only through a dynamic import(). */
const WALLS: Record<string, { imports: string[]; dynamic?: string[] }> = {
  plot: { imports: [] },
  runtime: { imports: [], dynamic: ['dashboard'] },
  train: { imports: ['runtime', 'plot', 'tfjs'] },
  simulators: { imports: ['runtime', 'plot'], dynamic: ['dashboard'] },
  dashboard: { imports: ['runtime', 'plot'] },
  evaluate: { imports: ['runtime', 'train', 'simulators', 'dashboard', 'plot'] },
  fixtures: { imports: ['runtime', 'train', 'simulators', 'evaluate', 'plot'] },
};
const WORKSPACES = Object.keys(WALLS);

interface Edge {
  from: string;
  to: string;
  dynamic: boolean;
  file: string;
  spec: string;
}

/** Where a file or an import target belongs: a workspace folder, or the top-level folder (bench, test, bin...). */
const placeOf = (path: string): string => path.split('/')[0];

function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && !f.includes('node_modules/'));
}

/** `import x from 'a'`, `export {x} from 'a'`, `import 'a'` (group 1); `import('a')` (group 2). */
const IMPORT = /(?:^|[\s;])(?:import|export)\s(?:type\s)?[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import of one workspace (or top-level folder) into another, from the source text. */
function crossImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles()) {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      continue; // deleted in the working tree
    }
    const from = placeOf(file);
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      let to: string | undefined;
      if (spec.startsWith('.')) to = placeOf(relative(root, resolve(root, dirname(file), spec)));
      else if (spec.startsWith('@vigil/')) to = spec.split('/')[1];
      else if (spec.startsWith('@tensorflow/')) to = 'tfjs';
      if (to && to !== from) edges.push({ from, to, dynamic: m[3] !== undefined, file, spec });
    }
  }
  return edges;
}

const dependenciesOf = (ws: string): Set<string> => {
  const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  return new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
};

describe('package walls', () => {
  const edges = crossImports();

  it('finds the imports it checks (the scan itself works)', () => {
    expect(edges.some((e) => e.from === 'train' && e.to === 'runtime')).toBe(true);
    expect(edges.some((e) => e.from === 'runtime' && e.to === 'dashboard' && e.dynamic)).toBe(true);
  });

  it('each workspace imports only across the walls it may cross', () => {
    const breaches = edges
      .filter((e) => e.from in WALLS)
      .filter((e) => !WALLS[e.from].imports.includes(e.to) && !(e.dynamic && WALLS[e.from].dynamic?.includes(e.to)))
      .map((e) => `${e.file}: ${e.from} -> ${e.to}${e.dynamic ? ' (dynamic)' : ''} via '${e.spec}'`);
    expect(breaches).toEqual([]);
  });

  it('no workspace reaches into bench/, test/, bin/ or models/', () => {
    const reach = edges.filter((e) => e.from in WALLS && !WORKSPACES.includes(e.to) && e.to !== 'tfjs').map((e) => `${e.file} -> '${e.spec}'`);
    expect(reach).toEqual([]);
  });

  it('a workspace declares in its package.json every workspace it imports, and no workspace it does not', () => {
    for (const ws of WORKSPACES) {
      const declared = [...dependenciesOf(ws)].filter((d) => d.startsWith('@vigil/')).map((d) => d.slice('@vigil/'.length));
      const used = new Set(edges.filter((e) => e.from === ws && WORKSPACES.includes(e.to)).map((e) => e.to));
      const staticUse = new Set(edges.filter((e) => e.from === ws && !e.dynamic && WORKSPACES.includes(e.to)).map((e) => e.to));
      expect({ ws, missing: [...staticUse].filter((u) => !declared.includes(u)).sort() }).toEqual({ ws, missing: [] });
      expect({ ws, unused: declared.filter((d) => !used.has(d)).sort() }).toEqual({ ws, unused: [] });
    }
  });
});
