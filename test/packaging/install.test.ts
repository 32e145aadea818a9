/**
 * Packaging (docs/install.md): npm prints no "Unknown project config" warning in the repo, onnxruntime-node's CUDA
 * download is off by npm's own allowScripts policy and no install script is left unreviewed, what bin/ needs at run
 * time is a dependency of the root package, a global install runs `vigil` (and `npx vigil`) from outside the clone,
 * and the gateway example config and systemd unit in docs/ are valid.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { loadConfig } from '../../runtime/config/load.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

function sh(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): { status: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('npm in the repo', () => {
  it('prints no Unknown-config warning', () => {
    const r = sh('npm', ['config', 'get', 'registry'], { cwd: repo });
    expect(r.status).toBe(0);
    expect(r.err).not.toMatch(/Unknown (project|user|env|cli) config/);
  });

  it("skips onnxruntime-node's CUDA download through allowScripts, and leaves no install script unreviewed", () => {
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    const r = sh('npm', ['install-scripts', 'ls'], { cwd: repo });
    expect(r.err).not.toMatch(/Unknown/);
    expect(r.out).toMatch(/No packages with unreviewed install scripts/);
    // The script did not run: the CUDA provider library is not there.
    const ortBin = join(repo, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    if (existsSync(ortBin)) expect(readdirSync(ortBin).filter((f) => /cuda|tensorrt/.test(f))).toEqual([]);
  });
});

describe('the vigil command', () => {
  it('needs only root dependencies at run time (bin/*.mjs)', () => {
    const bare = new Set<string>();
    for (const f of readdirSync(join(repo, 'bin')).filter((f) => f.endsWith('.mjs'))) {
      for (const m of readFileSync(join(repo, 'bin', f), 'utf8').matchAll(/(?:from|import\()\s*'([^'.][^']*)'/g)) {
        const spec = m[1];
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    expect([...bare].sort()).toEqual(['esbuild', 'tsx']);
    for (const dep of bare) expect(Object.keys(pkg.dependencies), dep).toContain(dep);
  });

  it('runs from outside the clone after a global install, and npx finds it', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'vigil-global-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'vigil-cwd-'));
    try {
      const env = { npm_config_prefix: prefix, npm_config_update_notifier: 'false' };
      const inst = sh('npm', ['install', '-g', '--no-audit', '--no-fund', repo], { cwd: elsewhere, env });
      expect(inst.status, inst.err).toBe(0);
      expect(inst.err).not.toMatch(/Unknown .* config/);
      const bin = join(prefix, 'bin', 'vigil');
      expect(realpathSync(bin)).toBe(realpathSync(join(repo, pkg.bin.vigil)));
      const v = sh(bin, ['--version'], { cwd: elsewhere });
      expect(v.status, v.err).toBe(0);
      expect(v.out.trim()).toBe(pkg.version);
      const npx = sh('npx', ['--no-install', 'vigil', '--version'], { cwd: elsewhere, env });
      expect(npx.status, npx.err).toBe(0);
      expect(npx.out.trim()).toBe(pkg.version);
      // Its own files (the demo's model) are found next to its sources, not in the working directory.
      const help = sh(bin, ['demo', '--help'], { cwd: elsewhere });
      expect(help.status, help.err).toBe(0);
      expect(existsSync(join(repo, 'models/machine_temperature.onnx'))).toBe(true);
      const score = sh(bin, ['score', '--help'], { cwd: elsewhere });
      expect(score.status, score.err).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('docs for a gateway', () => {
  it('docs/gateway.yaml is a valid config (through the config schema)', () => {
    const cfg = loadConfig(join(repo, 'docs/gateway.yaml'), {}, {});
    expect(cfg.broker.tls?.rejectUnauthorized).toBe(true);
    expect(cfg.broker.password).toBeUndefined(); // secrets come from the environment file
    expect(cfg.http.token).toBeUndefined();
    expect(cfg.state.file).toMatch(/^\/var\/lib\/vigil\//);
    expect(cfg.metrics.host).toBe('0.0.0.0');
    expect(cfg.http.allowedHosts.length).toBeGreaterThan(0);
    // The environment file's secrets land where the runtime reads them.
    const withEnv = loadConfig(join(repo, 'docs/gateway.yaml'), {}, { VIGIL_MQTT_PASSWORD: 'pw', VIGIL_HTTP_TOKEN: '0123456789abcdef0123' });
    expect(withEnv.broker.password).toBe('pw');
    expect(withEnv.http.token).toBe('0123456789abcdef0123');
  });

  it('docs/vigil.service runs vigil run with that config, restarts on failure and keeps state in /var/lib/vigil', () => {
    const unit = readFileSync(join(repo, 'docs/vigil.service'), 'utf8');
    const key = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(unit)?.[1];
    expect(key('ExecStart')).toMatch(/\/bin\/vigil\.mjs run --config \/etc\/vigil\/gateway\.yaml$/);
    expect(key('Restart')).toBe('on-failure');
    // A config error is not retried for ever (runtime/cli/run.ts EXIT_CONFIG; test/cli/print-config.test.ts).
    expect(key('RestartPreventExitStatus')).toBe('78');
    expect(key('StateDirectory')).toBe('vigil');
    expect(key('WorkingDirectory')).toBe('/var/lib/vigil');
    expect(key('User')).toBe('vigil');
    expect(key('EnvironmentFile')).toBe('-/etc/vigil/vigil.env');
    expect(key('KillSignal')).toBe('SIGTERM');
    expect(readFileSync(join(repo, 'docs/gateway.yaml'), 'utf8')).toMatch(/^# \/etc\/vigil\/gateway\.yaml/);
    // systemd's own parser, where there is one: any unknown key or bad value is printed.
    const verify = spawnSync('systemd-analyze', ['verify', join(repo, 'docs/vigil.service')], { encoding: 'utf8' });
    if (!verify.error) expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
  });
});
