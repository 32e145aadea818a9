/**
 * `vigil run` configuration: defaults so flags alone work, YAML and JSON files, every error naming its key and
 * the expected value, overrides over files, and secrets never printed or logged.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { loadConfig, redactConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The message loadConfig refuses `file` with ('' if it does not). */
function refusal(file: string): string {
  try {
    loadConfig(file, {}, {});
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('run config', () => {
  it('works from the three flags alone, with defaults for everything else', () => {
    const cfg = loadConfig(undefined, { model: 'models/pump', broker: 'mqtt://127.0.0.1:1883', topics: ['sensors/+/data'] }, {});
    expect(cfg).toMatchObject({
      model: 'models/pump',
      broker: { url: 'mqtt://127.0.0.1:1883', protocolVersion: 4, clean: true },
      source: { topics: ['sensors/+/data'], qos: 0, codec: { kind: 'json' }, timestamp: { source: 'auto' } },
      alerts: { topic: 'vigil/alerts/{sensor}', qos: 1 },
      inference: { providers: ['cpu', 'wasm'] },
      metrics: { port: 9464 },
    });
  });

  it('reads YAML and JSON files, and flags override them', () => {
    const yaml = file('a.yaml', 'model: models/a\nbroker:\n  url: mqtts://broker:8883\n  protocolVersion: 5\n  clean: false\n  clientId: gw-1\nsource:\n  topics: ["plant/{site}/{device}/telemetry"]\n  codec: { kind: sparkplug }\nalerts:\n  openK: 2\n  openN: 3\n');
    const cfg = loadConfig(yaml, { topics: ['x/+/y'] }, {});
    expect(cfg).toMatchObject({ broker: { protocolVersion: 5, clean: false, clientId: 'gw-1' }, source: { topics: ['x/+/y'], codec: { kind: 'sparkplug' } }, alerts: { openK: 2, openN: 3 } });
    const json = file('b.json', JSON.stringify({ model: 'm', broker: { url: 'ws://h:9001' }, source: { topics: ['t/+'] }, threshold: { kind: 'spot', q: 1e-4 } }));
    expect(loadConfig(json, {}, {}).threshold).toEqual({ kind: 'spot', q: 1e-4 });
  });

  it('a broker URL without a scheme is told only that it needs one', () => {
    const message = refusal(file('noscheme.yaml', 'model: m\nbroker:\n  url: 127.0.0.1:1883\nsource:\n  topics: [a/+]\n'));
    expect(message).toContain('broker.url: expected a broker URL: mqtt://');
    expect(message).not.toContain('percent-encode');
  });

  it('names every bad key and what it expects', () => {
    const bad = file('bad.yaml', 'model: m\nbroker:\n  url: http://nope\n  protocolVersion: 3\nsource:\n  topics: []\n  qos: 2\n  codec: { kind: xml }\nalerts:\n  topic: "a/#"\nbatch:\n  size: lots\ncolour: red\n');
    const message = refusal(bad);
    expect(message).toContain(`config ${bad} is invalid`);
    for (const line of [
      'broker.url: expected a broker URL',
      'broker.protocolVersion: expected 4 (MQTT 3.1.1) or 5 (MQTT 5)',
      'source.topics: expected at least one topic',
      'source.qos: expected 0 or 1',
      'source.codec.kind:',
      'alerts.topic: expected a topic without + or # wildcards',
      'batch.size:',
      'colour',
    ]) expect(message).toContain(line);
    expect(message).toContain('"json"|"json-array"|"csv"|"number"|"sparkplug"');
    // A switch written as a word, and the alerts' QoS: what to write (a field probe saw "expected boolean, received
    // string" and "Invalid input").
    const words = file('words.yaml', 'model: m\nbroker: { url: "mqtt://h:1883", clean: no }\nsource: { topics: ["t/{sensor}"] }\nalerts: { qos: 2 }\nreload: { watch: "yes" }\n');
    expect(() => loadConfig(words, {}, {})).toThrow(/broker\.clean: expected true or false, unquoted, got "no" \(YAML reads yes\/no and on\/off as text\)[^]*alerts\.qos: expected 0 or 1[^]*reload\.watch: expected true or false, unquoted, got "yes"/);
    // A misspelt placeholder was published as written, every sensor's alerts on one topic (a probe).
    const typo = file('typo.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nalerts: { topic: "a/{sensorr}" }\ndeadLetter: { topic: "d/{reasn}" }\n');
    expect(() => loadConfig(typo, {}, {})).toThrow(/alerts\.topic: expected no placeholder but \{sensor\}[^]*deadLetter\.topic: expected no placeholder but \{reason\}/);
    expect(() => loadConfig(file('brace.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nalerts: { topic: "a/{sensor" }\n'), {}, {})).toThrow(/got 'a\/\{sensor'/);
    expect(loadConfig(file('ok.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nalerts: { topic: "site-1/alerts/{sensor}" }\ndeadLetter: { topic: null }\n'), {}, {}).alerts.topic).toBe('site-1/alerts/{sensor}');
    expect(() => loadConfig(undefined, {}, {})).toThrow(/give --model, --broker and --topic/);
    expect(() => loadConfig(file('c.yaml', 'model: [1'), {}, {})).toThrow(/not valid YAML/);
    // Durations for ...Ms keys, as the flags take them (a probe's minMs: "60s" was refused); a bad one says what fits.
    const timed = loadConfig(file('d.yaml', 'model: m\nbroker: { url: "tcp://h:1883", connectTimeoutMs: 2.5s }\nsource: { topics: ["t/{sensor}"] }\nalerts: { silent: { minMs: 10m } }\nstate: { intervalMs: 500ms }\n'), {}, {});
    expect([timed.broker.connectTimeoutMs, timed.alerts.silent.minMs, timed.state.intervalMs]).toEqual([2500, 600_000, 500]);
    expect(() => loadConfig(file('e.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nalerts: { silent: { minMs: soon } }\n'), {}, {})).toThrow(
      /alerts\.silent\.minMs: expected milliseconds, a number >= 0 or a duration like 500ms, 30s, 10m \(least quiet time before a sensor is silent\)/,
    );
    expect(() => loadConfig(file('f.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nalerts: { silent: { minMs: 500ms } }\n'), {}, {})).toThrow(/alerts\.silent\.minMs: expected at least 1000 ms \(least quiet time/);
    expect(() => loadConfig(join(dir, 'missing.yaml'), {}, {})).toThrow(/config file not found/);
    // A misspelt key gets the one it most likely meant (a probe wrote openk and read only "Unrecognized key").
    const keys = file('keys.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"], qoss: 1 }\nalerts: { openk: 3, silent: { factr: 3 } }\nbatch: { zzzzzz: 1 }\n');
    const said = refusal(keys);
    expect(said).toContain(`source: Unrecognized key: "qoss" ('qoss': did you mean 'qos'?)`);
    expect(said).toContain(`alerts: Unrecognized key: "openk" ('openk': did you mean 'openK'?)`);
    expect(said).toContain(`alerts.silent: Unrecognized key: "factr" ('factr': did you mean 'factor'?)`);
    // Nothing near it: the keys the section takes (a probe's window: { size: 64 } read only "Unrecognized key").
    expect(said).toMatch(/batch: Unrecognized key: "zzzzzz" \(expected one of size, maxWaitMs, [^)]*stopDrainMs[^)]*\)\n/);
    expect(refusal(file('size.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nwindow: { size: 64 }\n'))).toMatch(/window: Unrecognized key: "size" \(expected one of stride, [^)]*reorderMs/);
    // Two letters swapped, and a threshold parameter (a review: 'levle' was accepted without a word, and 'alpah' got no hint).
    const swapped = file('swapped.yaml', 'model: m\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\nthreshold: { kind: spot, levle: 0.98 }\nsmoothing: { kind: ewma, alpah: 0.1 }\n');
    expect(() => loadConfig(swapped, {}, {})).toThrow(/threshold: Unrecognized key: "levle" \('levle': did you mean 'level'\?\)[^]*smoothing: Unrecognized key: "alpah" \('alpah': did you mean 'alpha'\?\)/);
  });

  it('a list of models says vigil run serves one (a probe: one gateway, three lines, read only "expected string, received array")', () => {
    const models = file('models.yaml', 'model: [models/pumps, models/comp, models/oven]\nbroker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\n');
    expect(() => loadConfig(models, {}, {})).toThrow(/ {2}model: expected one model path \(models\/NAME\), got a list of 3: vigil run serves one model; run one vigil per model, each with its own config/);
    const missing = file('no-model.yaml', 'broker: { url: "mqtt://h:1883" }\nsource: { topics: ["t/{sensor}"] }\n');
    expect(() => loadConfig(missing, {}, {})).toThrow(/ {2}model: missing; expected a model path/);
  });

  it('never prints or logs secrets', () => {
    const cfg = loadConfig(undefined, { model: 'm', broker: 'mqtt://gw:s3cret@h:1883', topics: ['t/+'] }, { VIGIL_MQTT_PASSWORD: 'hunter2' });
    expect(cfg.broker.password).toBe('hunter2');
    const shown = JSON.stringify(redactConfig(cfg));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('s3cret');
    const out: string[] = [];
    const log = createLogger('info', new Writable({ write: (c, _e, cb) => (out.push(String(c)), cb()) }) as never);
    log.info({ broker: { password: 'hunter2' }, headers: { authorization: 'Bearer x' } }, 'connecting');
    expect(out.join('')).not.toContain('hunter2');
    expect(out.join('')).not.toContain('Bearer');
  });

  it('vigil run --print-config shows the resolved config with secrets hidden', () => {
    const text = execFileSync(process.execPath, ['bin/vigil.mjs', 'run', '--model', 'models/machine_temperature', '--broker', 'mqtt://127.0.0.1:1883', '--topic', 'sensors/+/data', '--print-config'], {
      // With a user name: MQTT 3.1.1 sends a password only with one (test/mqtt/password-only.test.ts).
      env: { ...process.env, VIGIL_MQTT_PASSWORD: 'hunter2', VIGIL_MQTT_USERNAME: 'gw' },
      encoding: 'utf8',
    });
    expect(text).toContain('topics:\n    - sensors/+/data');
    expect(text).toContain('password: "***"');
    expect(text).not.toContain('hunter2');
  });
});

describe('docs/run.md', () => {
  it('its example config is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseThresholdConfig } = await import('../../runtime/thresholds/factory.ts');
    const doc = readFileSync(new URL('../../docs/run.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1];
    const cfg = loadConfig(file('doc.yaml', yaml), {}, {});
    expect(cfg.broker.tls?.ca).toBe('certs/ca.pem');
    expect(parseThresholdConfig(cfg.threshold).kind).toBe('dspot');
  });
});
