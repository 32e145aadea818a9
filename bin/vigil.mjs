#!/usr/bin/env node
// Thin shim. `vigil` runs an esbuild bundle of the TypeScript sources on plain node (dist/<id>/vigil.mjs, named
// by dist/current.json): about 30 MB less RSS than the tsx loader, whose hooks thread and compiler stay resident.
// When the bundle is missing or a source it was built from has changed since, this builds it first (bin/build.mjs,
// about a second, in a child process so the builder's memory does not stay with us), so `npm install && npx vigil`
// and every edit just work. If the build fails (a source mid-edit, a read-only install) the sources run through
// tsx as before, which reports any error with its real file and line. VIGIL_NO_BUNDLE=1 forces the sources;
// VIGIL_DEBUG=1 says on stderr which one runs. `vigil run` keeps V8's young generation small (bin/v8-heap.mjs).
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isatty } from 'node:tty';
import { LONG_RUNNING, sizeHeap } from './v8-heap.mjs';
import { quietDebug } from './quiet-debug.mjs';
import { packetReads } from './packet-reads.mjs';

const heapFlag = sizeHeap(process.argv[2]);

// The process that started vigil, read first thing: runtime/ops/shutdown.ts watches it when npm started vigil (npm
// passes no signal through its `sh -c`), and a launcher gone before that watch was set up (a review: npm stopped
// while the model loaded) must still count. A shell script that puts vigil in the background (`vigil run ... &`)
// means it to outlive the script: that is said too, so the watch leaves it be.
globalThis.__vigilLauncher = launcher();
function launcher() {
  const pid = process.ppid;
  let background = false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const script = args[args.indexOf('-c') + 1] ?? '';
    // A lone `&` (not `&&`, not the `2>&1` or `&>` of a redirection).
    background = args.includes('-c') && /(^|[^&>])&(?![&>])/.test(script);
  } catch {
    // No /proc (not Linux): the parent is watched as it is.
  }
  return { pid, background };
}

// `vigil ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace. A
// terminal that is gone (an SSH session closed under `vigil run`) fails every write with EIO: the output is lost and
// the process goes on (a review: the first log line after the hangup killed it, undrained and unsaved). At its exit
// Node then restores the dead terminal's mode, fails, and aborts or hangs (SIGABRT, SIGSEGV with ONNX Runtime loaded):
// once everything is done and saved, the process ends itself instead. `vigil run` also outlives a reader that left
// (`vigil run 2>&1 | tee log` over SSH: EPIPE had exited it at once, unsaved, with status 0), and a hangup while any
// of its standard streams is a terminal (`vigil run > log 2>&1 &`, then logout) counts as the terminal gone.
const longRunning = LONG_RUNNING.has(process.argv[2]);
let terminalGone = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EIO' && stream.isTTY) {
      terminalGone = true;
      return;
    }
    if (err.code === 'EPIPE') {
      if (longRunning) return;
      process.exit(process.exitCode ?? 0);
    }
    throw err;
  });
}
// Asked at start: Node restores the streams that were terminals then, and after the hangup isatty() says no.
const hadTerminal = [0, 1, 2].some((fd) => isatty(fd));
if (longRunning) process.on('SIGHUP', () => (terminalGone ||= hadTerminal));
process.on('exit', () => {
  if (terminalGone) process.kill(process.pid, 'SIGKILL');
});

const repo = new URL('../', import.meta.url);
// Where the bundle's sources are (bin/build.mjs): their import.meta.url, wherever this install lives.
globalThis.__vigilRoot = repo.href;
const debug = (m) => process.env.VIGIL_DEBUG && process.stderr.write(`vigil: ${m}\n`);

/** The current bundle when every source it was built from is unchanged since its build began, else null. */
function freshBundle() {
  try {
    const { dir } = JSON.parse(readFileSync(new URL('dist/current.json', repo), 'utf8'));
    const { startedAt, inputs, packaged } = JSON.parse(readFileSync(new URL(`dist/${dir}/inputs.json`, repo), 'utf8'));
    // Built when a package was packed (bin/pack-gateway.mjs): npm dates its files at their install, after the build.
    if (packaged === true) return new URL(`dist/${dir}/vigil.mjs`, repo);
    for (const p of inputs) if (statSync(new URL(p, repo)).mtimeMs >= startedAt) return null;
    return new URL(`dist/${dir}/vigil.mjs`, repo);
  } catch {
    return null; // no bundle, or a source it was built from is gone
  }
}

/** A fresh bundle, building one when needed; null means run the sources. */
function bundle() {
  if (process.env.VIGIL_NO_BUNDLE === '1') return null;
  const fresh = freshBundle();
  if (fresh) return fresh;
  debug('building the bundle (bin/build.mjs)');
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('bin/build.mjs', repo)), '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    // Said for `vigil run` (a gateway cares about its ~30 MB); other commands only under VIGIL_DEBUG.
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0];
    const say = heapFlag ? (m) => process.stderr.write(`vigil: ${m}\n`) : debug;
    say(`could not build the bundle (${why}); running the sources through tsx, about 30 MB more RSS`);
    return null;
  }
  return freshBundle();
}

if (heapFlag) debug(`V8 ${heapFlag}`);
// Before mqtt.js loads (bin/quiet-debug.mjs): its packet parser's disabled log calls allocate on every packet.
quietDebug();
// mqtt-packet's reads of each packet's header, length and topic, in place instead of a Buffer sliced per read.
packetReads();
const built = bundle();
let main;
if (built) {
  debug(`running the bundle ${fileURLToPath(built)}`);
  ({ main } = await import(built.href));
} else {
  debug('running the sources through tsx');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./dispatch.ts'));
}
process.exitCode = await main(process.argv.slice(2));
