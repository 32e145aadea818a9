#!/usr/bin/env node
// Thin shim: run the TypeScript dispatcher directly (no build step), so `npx vigil` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./dispatch.ts');
process.exitCode = await main(process.argv.slice(2));
