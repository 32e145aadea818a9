/**
 * Page assets, all from this package and its node_modules (no CDN): the browser entries bundled with
 * esbuild on first use (runtime code such as the CSV parser, scaler and WindowRing is bundled, not
 * re-implemented), uPlot's stylesheet, and onnxruntime-web's wasm files for in-browser scoring.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Browser entries, by name. */
export const ENTRIES = { live: 'page/live.ts', report: 'page/report-entry.ts' } as const;
/** Name of a browser entry. */
export type EntryName = keyof typeof ENTRIES;

/** Where the dashboard serves onnxruntime-web's files, relative to the bundle (`/assets/app.js`). */
export const ORT_DIR = 'ort';
/** The onnxruntime-web build used in the page: wasm only (no WebGL/WebGPU code to download). */
export const ORT_MODULE = 'ort.wasm.min.mjs';

const bundles = new Map<EntryName, Promise<string>>();

/** Bundle a browser entry to one ES module (cached per process). */
export function bundle(entry: EntryName): Promise<string> {
  let p = bundles.get(entry);
  if (!p) {
    p = build(entry);
    bundles.set(entry, p);
    p.catch(() => bundles.delete(entry));
  }
  return p;
}

async function build(entry: EntryName): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(here, ENTRIES[entry])],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [
      {
        name: 'vigil-browser',
        setup(b) {
          // csv.ts's readCsv uses node:fs; the page only calls parseCsv, so fs is an empty stand-in there.
          b.onResolve({ filter: /^(node:)?fs$/ }, () => ({ path: 'fs', namespace: 'vigil-empty' }));
          b.onLoad({ filter: /.*/, namespace: 'vigil-empty' }, () => ({
            contents: 'export function readFileSync() { throw new Error("no file system in the browser"); }',
            loader: 'js',
          }));
          // The runtime's ort-web backend imports onnxruntime-web lazily; in the page that import loads the
          // wasm build served beside the bundle, so it is fetched only when a file is scored.
          b.onResolve({ filter: /^onnxruntime-web$/ }, () => ({ path: `./${ORT_DIR}/${ORT_MODULE}`, external: true }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** The page stylesheet: uPlot's, then ours. */
export function stylesheet(): string {
  const uplot = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return `${uplot}\n${readFileSync(join(here, 'page/style.css'), 'utf8')}`;
}

/** An HTML template from page/. */
export function template(name: 'index.html' | 'report.html'): string {
  return readFileSync(join(here, 'page', name), 'utf8');
}

let ortDir: string | undefined;
let ortFiles: Set<string> | undefined;

/** Path of an onnxruntime-web dist file the page may load, or undefined for anything else. */
export function ortFile(name: string): string | undefined {
  if (!ortDir) {
    // The package exports no package.json; its CommonJS entry lives in dist/ beside the wasm files.
    ortDir = dirname(require.resolve('onnxruntime-web'));
    ortFiles = new Set(readdirSync(ortDir).filter((f) => /^ort(-wasm-simd-threaded)?[\w.]*\.(m?js|wasm)$/.test(f)));
  }
  return ortFiles!.has(name) ? join(ortDir, name) : undefined;
}
