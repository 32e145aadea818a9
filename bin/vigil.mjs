#!/usr/bin/env node
// Thin shim: run the TypeScript dispatcher directly (no build step), so `npx vigil` works right after `npm install`.
import { register } from 'tsx/esm/api';

// `vigil ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import('./dispatch.ts');
process.exitCode = await main(process.argv.slice(2));
