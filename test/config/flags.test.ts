/**
 * One flag table (runtime/config/flags.ts) for `vigil run`, `vigil score` and `vigil fleet`: every flag sets a key
 * the schema knows, an option shared by two commands gives the same config value in both, the defaults are the
 * schema's, flags are laid over the config before it is validated, and an old spelling still works with a note.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { FLAGS, type FlagKey, type FlagRow } from '../../runtime/config/flags.ts';
import { defaultAt, schemaAt } from '../../runtime/config/defaults.ts';
import { loadConfig } from '../../runtime/config/load.ts';
import { RUN_FLAGS } from '../../runtime/cli/run.ts';
import { SCORE_FLAGS, scoreConfig } from '../../runtime/cli/score.ts';
import { partitionOf } from '../../runtime/fleet/partition.ts';

const MODEL = 'models/machine_temperature';
const at = (v: unknown, path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], v);
const vigil = (...args: string[]) => spawnSync(process.execPath, ['bin/vigil.mjs', ...args], { encoding: 'utf8' });
const runFlags = { model: MODEL, broker: 'mqtt://127.0.0.1:1883', topics: ['sensors/+/data'] };

describe('the flag table', () => {
  it('maps every flag to a key of the config schema', () => {
    for (const [key, row] of Object.entries(FLAGS) as [FlagKey, FlagRow][]) if (row.path) expect(schemaAt(row.path), key).toBeDefined();
  });

  it('spells each option once: no flag or old spelling names two rows, but --prefix (fleet.prefix; under --jetstream only, the old --subject-prefix)', () => {
    const rows = new Map<string, string[]>();
    for (const [key, row] of Object.entries(FLAGS) as [FlagKey, FlagRow][]) {
      for (const spelling of [...row.flag.split(/[ ,]+/).filter((w) => w.startsWith('-')), ...(row.aliases ?? [])]) rows.set(spelling, [...(rows.get(spelling) ?? []), key]);
    }
    const twice = [...rows].filter(([, keys]) => keys.length > 1);
    expect(twice).toEqual([['--prefix', ['fleetPrefix', 'subjectPrefix']]]);
  });

  it('gives an option shared by vigil run and vigil score the same config value, and the same default', () => {
    const shared = RUN_FLAGS.filter((k) => (SCORE_FLAGS as readonly string[]).includes(k) && k !== 'model' && k !== 'config');
    expect(shared).toEqual(expect.arrayContaining(['threshold', 'smoothing', 'providers', 'alertOpen', 'alertClose', 'cooldown', 'gapReset']));
    const given: Partial<Record<FlagKey, string>> = { threshold: 'spot,q=1e-4', smoothing: '0.3', providers: 'cpu', alertOpen: '2/3', alertClose: '5', alertCritical: 'off', cooldown: '60000', gapReset: '900000' };
    for (const k of shared) {
      const path = (FLAGS[k] as FlagRow).path!;
      const run = loadConfig(undefined, { ...runFlags, [k]: given[k] }, {});
      const score = scoreConfig({ model: MODEL, [k]: given[k] });
      expect(at(score, path), k).toEqual(at(run, path));
      expect(at(score, path), k).not.toEqual(at(loadConfig(undefined, runFlags, {}), path));
    }
    // With no flags, both judge with the schema's defaults.
    const run = loadConfig(undefined, runFlags, {});
    const score = scoreConfig({ model: MODEL });
    for (const section of ['window', 'batch', 'inference', 'smoothing', 'alerts'] as const) expect(score[section], section).toEqual(run[section]);
    expect(score.threshold).toBeUndefined();
    expect(score.alerts.closeM).toBe(defaultAt('alerts.closeM'));
  });

  it('takes every value its help offers: --batch auto (the default it prints) as well as a number', () => {
    expect(FLAGS.batch.parse('auto')).toBe('auto');
    expect(scoreConfig({ model: MODEL, batch: 'auto' }).batch.maxBatch).toBe('auto');
    expect(scoreConfig({ model: MODEL, batch: '512' }).batch.maxBatch).toBe(512);
    expect(() => FLAGS.batch.parse('large')).toThrow(/expected an integer >= 1 or 'auto'; got 'large'/);
  });

  it('names the flag in vigil score errors', () => {
    expect(() => scoreConfig({ model: MODEL, alertOpen: '3' })).toThrow(/^--alert-open: expected k\/n such as 2\/3; got '3'$/);
    expect(() => scoreConfig({ model: MODEL, alertOpen: '3/2' })).toThrow(/^--alert-open: openK must be <= openN/);
    expect(() => scoreConfig({ model: MODEL, smoothing: '2' })).toThrow(/^--smoothing\.alpha: /);
  });
});

describe('vigil run flags', () => {
  it('are laid over the config before validation; --provider still works, with a note', () => {
    const ok = vigil('run', '--model', MODEL, '--broker', 'mqtt://127.0.0.1:1883', '--topic', 's/+/d', '--provider', 'cpu', '--threshold', 'spot,q=1e-4', '--low-memory', '--dashboard', '0', '--alert-open', '2/3', '--print-config');
    expect(ok.status, ok.stderr).toBe(0);
    const cfg = parse(ok.stdout);
    expect(cfg).toMatchObject({ inference: { providers: ['cpu'] }, threshold: { kind: 'spot', q: 1e-4 }, lowMemory: true, dashboard: { port: 0 }, alerts: { openK: 2, openN: 3 } });
    expect(ok.stderr).toContain('--provider is deprecated, use --providers');

    const bad = vigil('run', '--model', MODEL, '--broker', 'mqtt://127.0.0.1:1883', '--topic', 's/+/d', '--dashboard', '70000', '--print-config');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--dashboard: expected a port number 0-65535 (0 = any free port) or 'off'; got '70000'");
    const help = vigil('run', '--help').stdout;
    expect(help).toContain('--providers <list>');
    expect(help).not.toContain('--provider ');
    expect(help).toMatch(/--alert-close <m>\s+close it after m quiet windows in a row\s+\(default:\s+10\)/);
  });
});

describe('vigil fleet flags', () => {
  it('take --partitions from the table, with the schema default', () => {
    const given = vigil('fleet', 'partition', 'pump-1', '-p', '8');
    expect(given.stdout).toBe(`pump-1\tp${partitionOf('pump-1', 8)}\tsensors/p${partitionOf('pump-1', 8)}/pump-1/data\n`);
    const byDefault = vigil('fleet', 'partition', 'pump-1');
    expect(byDefault.stdout).toContain(`\tp${partitionOf('pump-1', defaultAt('fleet.partitions') as number)}\t`);
    const bad = vigil('fleet', 'partition', 'pump-1', '-p', '5000');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--partitions: .*4096/);
  });
});

describe('vigil fleet --jetstream flags', () => {
  it('come from the same table: --subject-prefix sets fleet.jetstream.prefix, --prefix stays an alias there with a note', () => {
    // A bad subject token is refused by the schema before any connection, so the message shows where the flag went.
    const given = vigil('fleet', 'status', '--jetstream', '-g', 'line-1', '--subject-prefix', 'a.b');
    expect(given.status).toBe(1);
    expect(given.stderr).toContain('fleet: jetstream.prefix: expected one subject token');
    const old = vigil('fleet', 'status', '--jetstream', '-g', 'line-1', '--prefix', 'a.b');
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('--prefix is deprecated, use --subject-prefix');
    expect(old.stderr).toContain('fleet: jetstream.prefix: expected one subject token');
    const bad = vigil('fleet', 'worker', '--jetstream', '-g', 'line-1', '-p', '0');
    expect(bad.stderr).toContain("--partitions: expected an integer >= 1; got '0'");
    const help = vigil('fleet', 'status', '--jetstream', '--help').stdout;
    expect(help).toMatch(/--subject-prefix <token>\s+first token of every fleet subject\s+\(fleet\.jetstream\.prefix\)\s+\(default: vigil\)/);
    expect(help).toMatch(/--lease <ms>\s+lease TTL \(fleet\.jetstream\.leaseMs\) \(default: 6000\)/);
    expect(help).not.toContain('--prefix ');
    // Without --jetstream, --prefix is the MQTT fleet's membership topic prefix.
    expect(vigil('fleet', 'status', '--help').stdout).toMatch(/--prefix <topic>\s+membership topic prefix/);
  });
});
