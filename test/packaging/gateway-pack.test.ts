/**
 * The gateway package (bin/pack-gateway.mjs, docs/install.md): `npm pack` of the repo gave a tarball of every
 * workspace, test and bench result that npm could not install (@vigil/* in no registry: 404). vigil-gateway holds the
 * command, the runtime and its prebuilt bundle only; installed elsewhere (npm dates every file at its install) it
 * runs that bundle as it is, says its version in `--version` and the banner, and a command it leaves out says so.
 * Offline: the extracted package is given the repo's node_modules but its workspaces, where `npm install` would fetch
 * the same.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const dir = mkdtempSync(join(tmpdir(), 'vigil-gateway-pack-'));
const pkgDir = join(dir, 'package');
let files: string[] = [];
let tarball = '';

/** Every file under `d`, dated now, as npm leaves an install. */
function touchAll(d: string): void {
  const now = new Date();
  for (const e of readdirSync(d, { withFileTypes: true, recursive: true })) if (e.isFile()) utimesSync(join(e.parentPath, e.name), now, now);
}

beforeAll(() => {
  const packed = spawnSync(process.execPath, [join(repo, 'bin/pack-gateway.mjs'), '--out', dir], { encoding: 'utf8', timeout: 120_000 });
  expect(packed.status, packed.stderr).toBe(0);
  tarball = packed.stdout.trim();
  files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.trim().split('\n');
  expect(spawnSync('tar', ['xzf', tarball, '-C', dir]).status).toBe(0);
  touchAll(pkgDir);
  // The repo's dependencies, not its workspaces (@vigil/*): what npm would install for the package.
  mkdirSync(join(pkgDir, 'node_modules'));
  for (const name of readdirSync(join(repo, 'node_modules'))) if (name !== '@vigil' && name !== '.bin') symlinkSync(join(repo, 'node_modules', name), join(pkgDir, 'node_modules', name), 'dir');
}, 150_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writeConfig = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const vigil = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(pkgDir, 'bin/vigil.mjs'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('vigil-gateway package', () => {
  it('holds the command, the runtime and its bundle: no tests, bench data, training, dashboard or simulators', () => {
    expect(tarball).toMatch(/vigil-gateway-\d+\.\d+\.\d+\.tgz$/);
    for (const f of ['package/bin/vigil.mjs', 'package/bin/dispatch.ts', 'package/runtime/cli/run.ts', 'package/docs/vigil.service', 'package/dist/current.json']) expect(files).toContain(f);
    expect(files.some((f) => /^package\/dist\/[^/]+\/vigil\.mjs$/.test(f))).toBe(true);
    expect(files.filter((f) => /^package\/(test|bench|train|dashboard|simulators|evaluate|fixtures|plot|models)\//.test(f) || f.endsWith('.map'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; bin: Record<string, string> };
    expect(pkg.version).toBe(version);
    expect(pkg.bin).toEqual({ vigil: 'bin/vigil.mjs' });
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@vigil/') || d.startsWith('@tensorflow/'))).toEqual([]);
  });

  it('runs its own bundle where it is installed, says its version, and a command it leaves out says so', () => {
    const before = readdirSync(join(pkgDir, 'dist'));
    const v = vigil(['--version']);
    expect(v.stdout.trim()).toBe(version);
    const help = vigil(['run', '--help'], { VIGIL_DEBUG: '1' });
    expect(help.status).toBe(0);
    expect(help.stderr).toContain(`running the bundle ${join(pkgDir, 'dist')}`);
    expect(readdirSync(join(pkgDir, 'dist'))).toEqual(before);
    const train = vigil(['train', '--help']);
    expect(train.status).toBe(2);
    expect(train.stderr).toMatch(/^vigil train: not installed here \(.*\)\. A gateway install \(vigil-gateway\) has .*run.*; train needs a clone of the repository \(docs\/install\.md\)\n$/);
  });

  it('vigil run with adapt.enabled stops at once with exit 78, saying the training package is not installed', () => {
    const r = vigil(['run', '--model', join(repo, 'models/machine_temperature'), '--broker', 'mqtt://127.0.0.1:1', '--topic', 'gw/{sensor}/data', '--state', 'off', '--metrics-port', 'off', '--config', writeConfig('adapt.yaml', 'adapt: { enabled: true }\n')]);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/^vigil run: adapt\.enabled needs vigil adapt, which comes with the training package .*not installed here/);
  });

  describe('vigil run from the package', () => {
    let broker: EmbeddedBroker;
    beforeAll(async () => {
      broker = await startBroker({ port: 0 });
    });
    afterAll(async () => {
      await broker?.close();
    });

    it('starts on a broker with the banner naming the package and version, and stops on SIGTERM with exit 0', async () => {
      const args = ['run', '--model', join(repo, 'models/machine_temperature'), '--broker', broker.url, '--topic', 'gw/{sensor}/data', '--state', join(dir, 'state.json'), '--metrics-port', 'off', '--providers', 'cpu'];
      const proc = spawn(process.execPath, [join(pkgDir, 'bin/vigil.mjs'), ...args], { cwd: dir });
      let out = '';
      proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
      try {
        for (let i = 0; i < 600 && !out.includes('Ctrl-C stops'); i++) await new Promise((r) => setTimeout(r, 50));
        expect(out).toContain(`version    vigil-gateway ${version}, node ${process.version}`);
      } finally {
        proc.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    }, 60_000);
  });
});
