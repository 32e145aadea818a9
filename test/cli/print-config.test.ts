/**
 * `vigil run --help` and `--print-config` as a user meets them: examples that name a model that exists, the
 * resolved config printed with every default (window included), only the codec options that apply, the card's
 * threshold named, output that loads back to the same config, and a wrong model path or bad key caught here
 * rather than at start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printableConfig } from '../../runtime/cli/print-config.ts';
import { loadConfig } from '../../runtime/config/load.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import { cardPathOf } from '../../runtime/model/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-printcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = 'models/machine_temperature';
const flags = { model: MODEL, broker: 'mqtt://127.0.0.1:1883', topics: ['plant/{site}/{device}/telemetry'] };

describe('vigil run --help', () => {
  const help = execFileSync(process.execPath, ['bin/vigil.mjs', 'run', '--help'], { encoding: 'utf8' });
  it('shows examples with a model that exists and no boolean noise', () => {
    const models = [...help.split('Examples:')[1].matchAll(/--model (\S+)/g)].map((m) => m[1]);
    expect(models.length).toBeGreaterThan(0);
    for (const m of models) expect(existsSync(cardPathOf(m)), m).toBe(true);
    expect(help).not.toContain('(default: false)');
    for (const section of ['fleet', 'lowMemory', 'deadLetter', 'alerts']) expect(help).toContain(section);
    // Every section of the schema, from the schema: a hand-written list left out adapt, gateway and health.
    const listed = /sections: ([^.]*)\./.exec(help.replace(/\s+/g, ' '))?.[1].split(', ');
    expect(listed).toEqual(Object.keys(RunConfigSchema.shape));
  });
});

describe('vigil run --print-config', () => {
  it('fills every default, keeps only the options of the chosen codec, and names the card threshold', () => {
    const { text, warnings } = printableConfig(loadConfig(undefined, flags, {}));
    expect(warnings).toEqual([]);
    expect(text).toMatch(/^# vigil run: resolved config/);
    expect(text).toMatch(/# threshold: not set, so the model card's applies: \{"kind":/);
    expect(text).toMatch(/window:\n {2}stride: 1\n {2}maxFillAgeMs: 60000\n/);
    expect(text).toContain('codec:\n    kind: json\n    byContentType: true\n  timestamp');
    const csv = printableConfig(loadConfig(undefined, { ...flags, codec: 'csv' }, {})).text;
    expect(csv).toContain('kind: csv\n    delimiter: ","');
    expect(csv).not.toContain('joinToleranceMs');
    expect(csv).not.toContain('rebirthIntervalMs');
    const sp = printableConfig(loadConfig(undefined, { ...flags, codec: 'sparkplug' }, {})).text;
    expect(sp).toContain('kind: sparkplug\n    joinToleranceMs: 100\n    rebirthIntervalMs: 5000');
  });

  it('prints YAML that loads back to the same config', () => {
    const first = printableConfig(loadConfig(undefined, { ...flags, codec: 'number', threshold: 'dspot' }, {})).text;
    const file = join(dir, 'printed.yaml');
    writeFileSync(file, first);
    expect(printableConfig(loadConfig(file, {}, {})).text).toBe(first);
  });

  it('a wrong model path is a warning on stderr and exit code 1', () => {
    const r = spawnSync(process.execPath, ['bin/vigil.mjs', 'run', '--print-config', '--model', 'models/nope', '--broker', 'mqtt://127.0.0.1:1883', '--topic', 's/+/d'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: model models\/nope: model card not found: .*nope\.json/);
    expect(r.stdout).toContain('model: models/nope');
  });

  it('broker TLS files that cannot work are warned of too, naming the key (a probe: exit 0, then vigil run stopped)', () => {
    const file = join(dir, 'tls.yaml');
    writeFileSync(file, `model: ${MODEL}\nbroker: { url: 'mqtts://127.0.0.1:8883', tls: { ca: ${join(dir, 'no-ca.pem')} } }\nsource: { topics: ['s/+/d'] }\n`);
    const { warnings } = printableConfig(loadConfig(file, {}, {}));
    expect(warnings).toEqual([expect.stringMatching(/^broker\.tls\.ca: cannot read .*no-ca\.pem \(ENOENT\); expected a PEM file; vigil run would stop at start$/)]);
  });

  it('a source.channels key that is not a model channel is warned of, naming the channels (a probe: exit 0, then vigil run stopped)', () => {
    const file = join(dir, 'channels.yaml');
    writeFileSync(file, `model: ${MODEL}\nbroker: { url: 'mqtt://127.0.0.1:1883' }\nsource: { topics: ['s/+/d'], channels: { valeu: data.v } }\n`);
    const { warnings } = printableConfig(loadConfig(file, {}, {}));
    expect(warnings).toEqual([expect.stringMatching(/^source\.channels: 'valeu' is not a channel of the model \(model channels: value\); vigil run would stop at start$/)]);
  });

  it('says the start-up topic warnings too, on stderr, and exits 0 since vigil run would start (a probe: they were left out)', () => {
    // Two templates that name their sensors alike, and a source topic vigil's own alert topic can also name.
    const args = ['bin/vigil.mjs', 'run', '--print-config', '--model', MODEL, '--broker', 'mqtt://127.0.0.1:1883', '--topic', 'a/{device}/data', '--topic', 'b/{device}/data', '--topic', 'vigil/alerts/+'];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: source\.topics 'a\/\{device\}\/data' and 'b\/\{device\}\/data' name their sensors alike/);
    expect(r.stderr).toMatch(/warning: source\.topics 'vigil\/alerts\/\+' and alerts\.topic .* can name the same topics/);
    expect(printableConfig(loadConfig(undefined, flags, {})).cautions).toEqual([]);
  });

  it('vigil run itself exits 78 (EX_CONFIG) on a config or model that cannot work, so systemd does not retry it every 5 s', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['bin/vigil.mjs', 'run', ...args], { encoding: 'utf8', timeout: 60_000 });
    const missing = run(['--config', join(dir, 'nope.yaml')]);
    expect([missing.status, missing.stderr]).toEqual([78, expect.stringMatching(/^vigil run: config file not found: .*nope\.yaml/)]);
    const model = run(['--model', 'models/nope', '--broker', 'mqtt://127.0.0.1:1', '--topic', 's/+/d', '--metrics-port', 'off', '--state', 'off']);
    expect([model.status, model.stderr]).toEqual([78, expect.stringMatching(/^vigil run: model card not found: .*nope\.json/)]);
    const file = join(dir, 'tls-run.yaml');
    writeFileSync(file, `model: ${MODEL}\nbroker: { url: 'mqtts://127.0.0.1:1', tls: { ca: ${join(dir, 'no-ca.pem')} } }\nsource: { topics: ['s/+/d'] }\nmetrics: { port: null }\nstate: { file: null }\n`);
    const tls = run(['--config', file]);
    expect([tls.status, tls.stderr]).toEqual([78, expect.stringMatching(/^vigil run: broker\.tls\.ca: cannot read .*no-ca\.pem/)]);
  });

  it('bad templates, sensorId formats and threshold kinds are caught when the config is read, naming the key', () => {
    expect(() => loadConfig(undefined, { ...flags, topics: ['a/#/b'] }, {})).toThrow(/source\.topics\.0: topic template 'a\/#\/b': '#' must be the last level/);
    expect(() => loadConfig(undefined, { ...flags, threshold: 'nope' }, {})).toThrow(/threshold\.kind: expected one of static, .*; got "nope"/);
    expect(() => loadConfig(undefined, {}, {})).toThrow(/model: missing; expected a model path.*\n {2}broker: missing; expected broker\.url/s);
  });
});
