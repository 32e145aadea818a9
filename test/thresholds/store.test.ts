/** Threshold state persistence: atomic writes, corruption detection, crash mid-write, periodic saves. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { decide } from '../../runtime/thresholds/threshold.ts';
import { ThresholdStore } from '../../runtime/thresholds/threshold-store.ts';
import { decodeStates, encodeStates, encodeStatesYielding, loadStates, reviveThresholds, saveStates, saveStatesSync, type SensorState, type StateSource } from '../../runtime/thresholds/store.ts';
import { decodeFloats, encodeFloats } from '../../runtime/util/float-state.ts';
import { cardFor, noiseSource } from '@vigil/fixtures/thresholds.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const nz = noiseSource(5, 'lognormal', 0.6);
const card = cardFor(Array.from({ length: 1000 }, () => 0.02 * nz()));
const CONFIG = { kind: 'telemanom' };

/** Three sensors' thresholds after some stream. */
function fleet(): Map<string, ReturnType<typeof createThreshold>> {
  const m = new Map<string, ReturnType<typeof createThreshold>>();
  for (const id of ['pump-1', 'pump-2', 'fan-7']) {
    const t = createThreshold(CONFIG, card);
    for (let i = 0; i < 700; i++) decide(t, 0.02 * nz());
    m.set(id, t);
  }
  return m;
}

function states(m: Map<string, ReturnType<typeof createThreshold>>): Map<string, SensorState> {
  return new Map([...m].map(([k, t]) => [k, { threshold: t.toJSON() }]));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-thr-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('threshold state store', () => {
  it('writes the same text a turn of the event loop at a time, and lets other work run between', async () => {
    const states = new Map<string, SensorState>();
    // Integer-like names first in JSON.stringify's order, as in encodeStates'; one undefined value left out of both.
    for (const s of ['pump-b', '12', 'pump-a', '3', ...Array.from({ length: 450 }, (_, i) => `s${i}`)]) {
      states.set(s, { threshold: { kind: 'static', config: { value: 1.5 }, state: {} }, residualMean: encodeFloats(Float64Array.of(0.1, -2e-9)), alert: undefined });
    }
    const now = new Date('2026-12-05T00:00:00Z');
    const ticks: number[] = [];
    const tick = () => void setImmediate(() => (ticks.push(1), ticks.length < 50 && tick()));
    tick();
    const text = await encodeStatesYielding(states, { name: 'm', version: '1' }, now, 100);
    expect(text).toBe(encodeStates(states, { name: 'm', version: '1' }, now));
    expect(ticks.length).toBeGreaterThanOrEqual(4); // 454 sensors in chunks of 100: other callbacks ran between
    expect([...decodeStates(text).states.keys()].slice(0, 3)).toEqual(['3', '12', 'pump-b']);
    expect(await encodeStatesYielding(new Map(), undefined, now)).toBe(encodeStates(new Map(), undefined, now));
  });

  it('collects a source a chunk of sensors per turn, in the order written, leaving out a sensor gone meanwhile', async () => {
    const names = Array.from({ length: 450 }, (_, i) => `s${i}`);
    const held = new Map(names.map((s) => [s, { threshold: { kind: 'static', config: { value: 1 }, state: {} } } as SensorState]));
    let ticks = 0;
    const at: number[] = [];
    const tick = () => void setImmediate(() => (ticks++, ticks < 50 && tick()));
    tick();
    const source: StateSource = {
      sensors: names,
      state: (sensor) => {
        at.push(ticks);
        if (sensor === 's10') held.delete('s400'); // evicted while the save is under way
        return held.get(sensor);
      },
    };
    const now = new Date('2026-12-05T00:00:00Z');
    const text = await encodeStatesYielding(source, undefined, now, 100);
    // Each sensor collected at its turn: five chunks of at most 100, other callbacks running between them.
    expect(at).toHaveLength(450);
    expect(new Set(at).size).toBe(5);
    for (const t of new Set(at)) expect(at.filter((x) => x === t).length).toBeLessThanOrEqual(100);
    const back = decodeStates(text).states;
    expect(back.size).toBe(449);
    expect(back.has('s400')).toBe(false);
    expect(JSON.parse(text.slice(0, text.indexOf('\n'))).sensors).toBe(449);
    expect(text).toBe(encodeStates(held, undefined, now));
  });

  it('keeps float state exactly as f64 strings, and still reads the arrays older files hold', () => {
    const v = Float64Array.of(0.12836372995286194, -0.015544164626451919, 1e-300, -0, Number.MAX_VALUE);
    const s = encodeFloats(v);
    expect(s).toMatch(/^f64:[A-Za-z0-9+/]+=*$/);
    expect(s.length).toBeLessThan(JSON.stringify(Array.from(v)).length);
    expect(decodeFloats(s)).toEqual(Array.from(v));
    expect(Object.is(decodeFloats(s)![3], -0)).toBe(true);
    expect(decodeFloats([0.5, 1])).toEqual([0.5, 1]);
    // The wire format is little-endian on every host: 1.5 is 00 00 00 00 00 00 f8 3f.
    expect(decodeFloats('f64:AAAAAAAA+D8=')).toEqual([1.5]);
    expect(encodeFloats(Float64Array.of(1.5))).toBe('f64:AAAAAAAA+D8=');
    expect(decodeFloats('f64:AAAA')).toBeUndefined(); // 3 bytes: not whole doubles
    expect(decodeFloats(`${s} `)).toBeUndefined(); // what Node's lenient decoder would skip is refused
    expect(decodeFloats(s.replace('f64:', 'f64:!!'))).toBeUndefined();
    expect(decodeFloats('0.5')).toBeUndefined();
    expect(decodeFloats(7)).toBeUndefined();
  });

  it('round-trips every sensor and the revived thresholds decide identically', async () => {
    const m = fleet();
    const path = join(dir, 'state.json');
    await saveStates(path, states(m), { name: 'pump-ae', version: '1' });
    const loaded = loadStates(path, { name: 'pump-ae', version: '1' });
    expect(loaded.problem).toBeUndefined();
    expect([...loaded.states.keys()]).toEqual(['pump-1', 'pump-2', 'fan-7']);
    const { thresholds, problems } = reviveThresholds(loaded.states, CONFIG, card);
    expect(problems).toEqual([]);
    const next = Array.from({ length: 300 }, () => 0.02 * nz() * 1.5);
    for (const [id, t] of m) {
      const r = thresholds.get(id)!;
      for (const x of next) expect(decide(r, x)).toEqual(decide(t, x));
    }
    // No temp files left behind.
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a missing file is a clean start', () => {
    const r = loadStates(join(dir, 'none.json'));
    expect(r.states.size).toBe(0);
    expect(r.problem).toBeUndefined();
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, Math.floor(t.length * 0.6)), /bytes|truncated/],
    ['one byte changed', (t: string) => t.replace('pump-2', 'pump-3'), /checksum/],
    ['header only', (t: string) => t.slice(0, t.indexOf('\n')), /truncated|bytes/],
    ['not ours', () => '{"hello": 1}\n{}', /format/],
    ['empty', () => '', /truncated/],
    ['other version', (t: string) => t.replace('"version":1', '"version":9'), /version 9; expected 1/],
  ])('detects a %s file, reports it, sets it aside and never throws', (_name, damage, why) => {
    const path = join(dir, 'state.json');
    writeFileSync(path, damage(encodeStates(states(fleet()))));
    const r = loadStates(path);
    expect(r.states.size).toBe(0);
    expect(r.problem).toMatch(why);
    expect(r.setAside && existsSync(r.setAside)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses states of another model and restarts sensors whose saved config differs', async () => {
    const path = join(dir, 'state.json');
    await saveStates(path, states(fleet()), { name: 'pump-ae', version: '1' });
    expect(loadStates(path, { name: 'pump-ae', version: '2' }).problem).toMatch(/pump-ae@1; expected pump-ae@2/);
    // Retrained under the same name and version (vigil train writes version 1 each time): told apart by its weights
    // (a probe's retrained model, copied over the old one while vigil was stopped, resumed the old one's thresholds).
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    await saveStates(path, states(fleet()), { name: 'pump-ae', version: '1', weights: a });
    const retrained = loadStates(path, { name: 'pump-ae', version: '1', weights: b });
    expect([...retrained.states.values()].every((st) => st.threshold === undefined)).toBe(true);
    expect(retrained.problem).toMatch(/other weights \(onnx sha256 aaaaaaaaaaaa, now bbbbbbbbbbbb\): a retrained model: thresholds and learnt levels start fresh/);
    // What does not depend on the model is kept (a review: a retrained model left every open alert without its close).
    const open = { recent: [1], lastTs: 5, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };
    const withAlert = join(dir, 'alert.json');
    await saveStates(withAlert, { 'pump-1': { threshold: states(fleet()).get('pump-1')!.threshold, alert: open, residualMean: 'f64:AAAA' }, 'pump-2': states(fleet()).get('pump-2')! }, { name: 'pump-ae', version: '1', weights: a });
    const keptAlert = loadStates(withAlert, { name: 'pump-ae', version: '1', weights: b });
    expect([...keptAlert.states.entries()]).toEqual([['pump-1', { alert: open }]]);
    expect(keptAlert.problem).toMatch(/open alerts and silence watches of 1 sensor\(s\) kept/);
    expect(loadStates(path, { name: 'pump-ae', version: '1', weights: a }).states.size).toBe(3);
    // A file saved before weights were recorded is matched by name and version.
    await saveStates(path, states(fleet()), { name: 'pump-ae', version: '1' });
    expect(loadStates(path, { name: 'pump-ae', version: '1', weights: b }).states.size).toBe(3);
    const loaded = loadStates(path);
    const { thresholds, problems } = reviveThresholds(loaded.states, { kind: 'spot' }, card);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/differs/);
    expect(thresholds.get('pump-1')!.kind).toBe('spot');
    // A sensor whose state does not restore starts fresh too, with the reason reported.
    const bad = new Map(loaded.states);
    bad.set('pump-1', { threshold: { ...bad.get('pump-1')!.threshold!, state: { values: 'x' } } });
    const revived = reviveThresholds(bad, CONFIG, card);
    expect(revived.problems).toEqual([expect.stringMatching(/pump-1: threshold state: values must be an array/)]);
    expect(revived.thresholds.size).toBe(3);
  });

  it('survives a writer killed mid-write: the file is always the old or the new complete state', async () => {
    const path = join(dir, 'state.json');
    saveStatesSync(path, { seed: { threshold: { kind: 'static', config: { value: 1 }, state: {} } } });
    // The kill lands at a different point of the next save each time (encode, write, fsync, rename); the
    // delays only vary where, the assertions hold for any of them.
    for (const delayMs of [0, 10, 20, 30, 40, 45, 50, 60]) {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), join(HERE, 'store-writer.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((done) => {
        child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
        child.on('exit', () => done());
      });
      const r = loadStates(path);
      expect(r.problem).toBeUndefined();
      expect(r.states.size).toBe(400);
      expect((r.states.get('sensor-0')!.threshold!.config as { gen: number }).gen).toBeGreaterThanOrEqual(1);
      // Temp files of the killed writer are cleaned up by the load.
      expect(readdirSync(dir)).toEqual(['state.json']);
    }
  }, 60_000);

  it('a torn temp file from a crash before the rename leaves the previous state in force', async () => {
    const path = join(dir, 'state.json');
    const m = fleet();
    await saveStates(path, states(m));
    const next = encodeStates(states(fleet()));
    writeFileSync(`${path}.4242.1.tmp`, next.slice(0, next.length >> 1));
    const r = loadStates(path);
    expect(r.problem).toBeUndefined();
    expect(r.states.get('pump-1')).toEqual({ threshold: m.get('pump-1')!.toJSON() });
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('labels a save with the model its states were collected under, though a hot reload relabels it meanwhile', async () => {
    const path = join(dir, 'state.json');
    const many = new Map<string, SensorState>();
    for (let i = 0; i < 1000; i++) many.set(`s${i}`, { threshold: { kind: 'static', config: { value: 1 }, state: {} } });
    // The runtime shares one label object and changes it in place when another model goes into service.
    const model = { name: 'old', version: '1' };
    const store = new ThresholdStore(path, () => many, { model });
    const saving = store.saveNow();
    await new Promise((r) => setImmediate(r));
    Object.assign(model, { name: 'new', version: '2' });
    await saving;
    expect(decodeStates(readFileSync(path, 'utf8')).model).toEqual({ name: 'old', version: '1' });
  });

  it('saves periodically and on stop, without overlapping writes', async () => {
    const path = join(dir, 'state.json');
    const m = fleet();
    const saved: number[] = [];
    let resolveTwo!: () => void;
    const two = new Promise<void>((r) => (resolveTwo = r));
    const store = new ThresholdStore(path, () => states(m), {
      intervalMs: 5,
      onSaved: (n) => {
        saved.push(n);
        if (saved.length === 2) resolveTwo();
      },
    });
    store.start();
    await two;
    await Promise.all([store.saveNow(), store.saveNow()]);
    await store.stop();
    expect(saved.length).toBeGreaterThanOrEqual(5);
    expect(saved.every((n) => n === 3)).toBe(true);
    expect(store.load().states.size).toBe(3);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(3);
  });
});
