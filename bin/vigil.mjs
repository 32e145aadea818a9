#!/usr/bin/env node
// Thin shim. No build step needed: the TypeScript dispatcher runs directly through tsx, so `npx vigil` works right
// after `npm install`. Where `npm run build` has bundled it (dist/vigil.mjs, for small gateways: no tsx loader,
// ~40 MB less RSS) and the bundle is newer than every source it was built from, that runs instead.
// VIGIL_NO_BUNDLE=1 forces the sources.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `vigil ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** dist/vigil.mjs when present and fresh, else null (any doubt means the sources). */
function freshBundle() {
  if (process.env.VIGIL_NO_BUNDLE === '1') return null;
  const repo = new URL('../', import.meta.url);
  try {
    const built = statSync(new URL('dist/vigil.mjs', repo)).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL('dist/inputs.json', repo), 'utf8'));
    for (const p of inputs) if (statSync(new URL(p, repo)).mtimeMs > built) return null;
    return new URL('dist/vigil.mjs', repo);
  } catch {
    return null; // no bundle, or a source it was built from is gone
  }
}

const bundle = freshBundle();
let main;
if (bundle) {
  if (process.env.VIGIL_DEBUG) process.stderr.write(`vigil: running the bundle ${fileURLToPath(bundle)}\n`);
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./dispatch.ts'));
}
process.exitCode = await main(process.argv.slice(2));
