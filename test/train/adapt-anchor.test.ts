/**
 * The anchor of an adaptation (train/adapt/anchor.ts): change faster than about one threshold per `--anchor-age` is
 * not learnt. Which version anchors, which one the store keeps for it, the refusal, the exit code that names the
 * version to roll back to, and `vigil adapt rollback --to`. The runtime side (a slow ramp fault through a chain of
 * adaptations is still alerted) is in test/adapt/gateway.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadModel, type ModelCard, type Series } from '@vigil/runtime';
import { trainModel } from '../../train/train.ts';
import { run } from '../../train/adapt/cli.ts';
import { anchorRefusal, anchorToRetain, chooseAnchor, dataEnd } from '../../train/adapt/anchor.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { drifted, sha256File, tempDir } from './helpers.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/** A card as far as the anchor reads it: its version and where its data ended. */
function card(version: string, end: number | undefined, adapted = false): { card: ModelCard } {
  const to = end === undefined ? undefined : new Date(end).toISOString();
  const c = { version, ...(to && !adapted ? { data: { to } } : {}), ...(to && adapted ? { lineage: { data: { recent: { to } } } } : {}) };
  return { card: c as unknown as ModelCard };
}

describe('anchor choice', () => {
  it('reads where a version\'s data ended: its adaptation\'s recent data, else its training data, else long ago', () => {
    expect(dataEnd(card('1', T0).card)).toBe(T0);
    expect(dataEnd(card('2', T0 + DAY, true).card)).toBe(T0 + DAY);
    expect(dataEnd(card('3', undefined).card)).toBe(-Infinity);
  });

  it('anchors to the newest version at least the age before the recent data, else the oldest', () => {
    const versions = [card('1', T0), card('2', T0 + DAY, true), card('3', T0 + 2 * DAY, true), card('4', T0 + 2.5 * DAY, true)];
    expect(chooseAnchor(versions, T0 + 3 * DAY, DAY).card.version).toBe('3');
    expect(chooseAnchor(versions, T0 + 2.2 * DAY, DAY).card.version).toBe('2');
    expect(chooseAnchor(versions, T0 + 0.5 * DAY, DAY).card.version).toBe('1'); // none that old: the oldest
    expect(chooseAnchor(versions, T0 + 3 * DAY, 0).card.version).toBe('4'); // age 0: the serving one
  });

  it('keeps beside the newest --keep the version a later adaptation will anchor to', () => {
    const v = [card('1', T0), card('2', T0 + 0.3 * DAY, true), card('3', T0 + 0.6 * DAY, true), card('4', T0 + 0.9 * DAY, true)];
    // Store keeps 2 (versions 3 and 4); none of them is a day older than the newest data: the oldest stays.
    expect(anchorToRetain(v.slice(0, 2), v.slice(2), T0 + 0.9 * DAY, DAY)?.card.version).toBe('1');
    // A day on, version 2 is old enough: it replaces version 1.
    expect(anchorToRetain(v.slice(0, 2), v.slice(2), T0 + 1.4 * DAY, DAY)?.card.version).toBe('2');
    // A kept version is old enough already: nothing pruned is needed; off: nothing either.
    expect(anchorToRetain(v.slice(0, 2), v.slice(2), T0 + 2 * DAY, DAY)).toBeUndefined();
    expect(anchorToRetain(v.slice(0, 2), v.slice(2), T0 + 0.9 * DAY, 0)).toBeUndefined();
  });

  it('refuses only above the share, saying which version and how to adapt by hand', () => {
    const serving = card('5', T0).card;
    const figures = { version: '2', dataTo: '2024-01-02T00:00:00.000Z', ageMs: DAY, maxShare: 0.1 };
    expect(anchorRefusal({ ...figures, flagged: 0.1 }, serving, T0 + 3 * DAY)).toBeUndefined();
    expect(anchorRefusal({ ...figures, flagged: 0.4 }, serving, T0 + 3 * DAY)).toMatch(/moved too far too fast: version 2 \(data to 2024-01-02T00:00:00.000Z\) flags 40.0 % of them \(at most 10 %\); change faster than one threshold per 24 h .* --anchor-age 0/);
    expect(anchorRefusal({ ...figures, version: '5', flagged: 0.4 }, serving, T0 + DAY / 2)).toMatch(/the serving model \(v5, no kept version is 24 h older/);
    // The serving model anchoring because it is a day old itself (kept versions older still): said so, not 'none kept'
    // (a gateway's log read 'no kept version is 24 h older' with versions 1 and 2 both days older).
    expect(anchorRefusal({ ...figures, version: '5', flagged: 0.4 }, serving, T0 + 3 * DAY)).toMatch(/the serving model \(v5, its data ended 72 h before the newest recent window\) flags 40.0 %/);
  });
});


const sha = sha256File;

async function adapt(args: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: await run(args), out };
  } finally {
    process.stdout.write = write;
    process.stderr.write = err;
  }
}

describe('vigil adapt --anchor-age', { timeout: 300_000 }, () => {
  const dir = tempDir('vigil-anchor-');
  const model = `${dir}/m/pump`;
  let v1: { json: string; onnx: string };

  beforeAll(async () => {
    writeFileSync(`${dir}/train.csv`, toCsv(pumpSeries(1500, 11).series));
    for (const k of [1, 2, 3]) writeFileSync(`${dir}/step${k}.csv`, toCsv(drifted(pumpSeries(1200, 20 + k).series, k, k)));
    const res = await trainModel({ data: `${dir}/train.csv`, out: model, epochs: 40, backend: 'wasm' });
    res.model.dispose();
    v1 = { json: sha(`${model}.json`), onnx: sha(`${model}.onnx`) };
  }, 300_000);

  it('refuses a change the serving model flags when no version is a day older, writes nothing; off, the same change is learnt', async () => {
    cpSync(`${dir}/m`, `${dir}/fast`, { recursive: true });
    const fast = `${dir}/fast/pump`;
    const refused = await adapt(['--model', fast, '--data', `${dir}/step1.csv`, '--anchor-age', String(2 * DAY), '--backend', 'wasm', '--quiet']);
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/^adapt: refused .* v1: .*moved too far too fast: the serving model \(v1, no kept version is 48 h older than the recent data\) flags \d+\.\d % of them \(at most 10 %\)/);
    expect(refused.out).not.toMatch(/roll back to/);
    expect(existsSync(`${fast}.versions`)).toBe(false);
    expect(sha(`${fast}.onnx`)).toBe(v1.onnx);
    // Whatever the age, the serving model anchors while nothing older is kept, and it flags the change; off (a person
    // who knows the change is normal), the same change is learnt and the lineage records no anchor.
    expect((await adapt(['--model', fast, '--data', `${dir}/step1.csv`, '--anchor-age', String(DAY / 2), '--backend', 'wasm', '--quiet'])).code).toBe(3);
    const ok = await adapt(['--model', fast, '--data', `${dir}/step1.csv`, '--backend', 'wasm', '--quiet']);
    expect(ok.out).toMatch(/^adapt: adapted .* v1 -> v2/);
    expect(loadModel(fast).card.lineage?.validation.anchor).toBeUndefined();
  });

  it('names the earlier version to roll back to when a chain of adaptations moved too far from it (exit 5); rollback --to puts it back', async () => {
    // Two steps a day apart, each learnt (no anchor), then a third step a day later, judged against version 2.
    for (const k of [1, 2]) expect((await adapt(['--model', model, '--data', `${dir}/step${k}.csv`, '--backend', 'wasm', '--quiet'])).out).toMatch(new RegExp(`^adapt: adapted .* v${k} -> v${k + 1}`));
    // The recent data ends 3 days on: version 2 (data to day 1) is the newest 1.5 days older; version 3's (day 2) is not.
    const third = await adapt(['--model', model, '--data', `${dir}/step3.csv`, '--anchor-age', String(1.5 * DAY), '--anchor-share', '0.01', '--backend', 'wasm', '--quiet']);
    expect(third.out).toMatch(/moved too far too fast: version 2 \(data to 2024-01-02T00:19:59.000Z\) flags/);
    expect(third.out).toMatch(/; nothing written; roll back to v2 \(/);
    expect(third.code).toBe(5);
    expect(loadModel(model).card.version).toBe('3');

    const back = await adapt(['rollback', '--model', model, '--to', '1']);
    expect(back.out).toMatch(/^adapt: rolled back .* v3 -> v1 .*0 earlier version\(s\) still kept/);
    expect(back.code).toBe(0);
    expect(sha(`${model}.json`)).toBe(v1.json);
    expect(sha(`${model}.onnx`)).toBe(v1.onnx);
    expect(readdirSync(`${model}.versions`)).toEqual([]);
    const missing = await adapt(['rollback', '--model', model, '--to', '7']).catch((e: Error) => ({ code: -1, out: e.message }));
    expect(missing.out).toMatch(/no earlier version/);
  });
});
