/**
 * A Sparkplug node's session across a restart of `vigil run` (runtime/ops/codec-sessions.ts; an HVAC probe: with a
 * persistent session, everything the broker queued while vigil was stopped came back as DDATA by alias and was
 * rejected as unknown_alias, 2,580 messages, 14 h of each unit).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Subject } from 'rxjs';
import { get as getSparkplug } from 'sparkplug-payload';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { codecSessionsFile } from '../../runtime/ops/codec-sessions.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { fileBroker } from './aedes.ts';
import { capturingLogger, recordedModel, recordedSeries, testConfig, uniquePrefix } from './harness.ts';

const broker = fileBroker();
const spb = getSparkplug('spBv1.0')!;
type Metric = NonNullable<Parameters<typeof spb.encodePayload>[0]['metrics']>[number];

describe('Sparkplug sessions across a restart', () => {
  it('a stop keeps each node session; the next start reads the queued DDATA by alias where seq follows on', async () => {
    const group = uniquePrefix('spbkeep').replaceAll('/', '_');
    const cfg = testConfig(broker.url, 'unused', recordedModel(), { broker: { url: broker.url, clean: false, clientId: group }, source: { topics: [`spBv1.0/${group}/+/{node}/{device}`, `spBv1.0/${group}/+/{node}`], qos: 1, codec: { kind: 'sparkplug', rebirthIntervalMs: null }, sensorId: '{node}.{device}' } });
    const rec = recordedSeries(40, 0);
    const at = (i: number) => ({ receivedAt: Date.now(), payload: Buffer.from(spb.encodePayload({ timestamp: rec.ts[i], seq: (i + 2) % 256, metrics: [{ alias: 1, type: 'Double', value: rec.values[i] }] })) });
    const ddata = (i: number): RawMessage => ({ topic: `spBv1.0/${group}/DDATA/edge1/pump7`, ...at(i) });

    const input1 = new Subject<RawMessage>();
    const first = await startRuntime(cfg, { logger: capturingLogger().logger, source: input1 });
    try {
      input1.next({ topic: `spBv1.0/${group}/NBIRTH/edge1`, payload: Buffer.from(spb.encodePayload({ timestamp: rec.ts[0], seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] })), receivedAt: Date.now() });
      input1.next({ topic: `spBv1.0/${group}/DBIRTH/edge1/pump7`, payload: Buffer.from(spb.encodePayload({ timestamp: rec.ts[0] - 1, seq: 1, metrics: [{ name: 'value', alias: 1, type: 'Double', value: rec.values[0] }] })), receivedAt: Date.now() });
      for (let i = 0; i < 20; i++) input1.next(ddata(i));
      await vi.waitFor(() => expect(first.counters.readings).toBe(21), { timeout: 5000 });
    } finally {
      await first.stop();
    }
    const file = codecSessionsFile(cfg.state.file)!;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ nodes: [{ node: `${group}/edge1`, seq: 21 }] });

    const input2 = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger();
    const second = await startRuntime(cfg, { logger, source: input2 });
    try {
      expect(existsSync(file)).toBe(false);
      expect(lines.some((l) => l.sessions === 1 && String(l.msg).includes('taken up'))).toBe(true);
      // What the broker queued during the restart: DDATA by alias, seq on from 21.
      for (let i = 20; i < 40; i++) input2.next(ddata(i));
      await vi.waitFor(() => expect(second.counters.readings).toBe(20), { timeout: 5000 });
      expect(second.edge.rejected.size).toBe(0);
      expect(second.counters.duplicates + second.counters.outOfOrder).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('a clean session keeps and takes up nothing: a node reborn unseen meanwhile is not read with the old aliases, and a kept file is removed unread', async () => {
    const group = uniquePrefix('spbclean').replaceAll('/', '_');
    const source = { topics: [`spBv1.0/${group}/+/{node}/{device}`, `spBv1.0/${group}/+/{node}`], qos: 1 as const, codec: { kind: 'sparkplug' as const, rebirthIntervalMs: null }, sensorId: '{node}.{device}' };
    const persistent = testConfig(broker.url, 'unused', recordedModel(), { broker: { url: broker.url, clean: false, clientId: group }, source });
    const rec = recordedSeries(10, 0);
    const msg = (type: string, seq: number, i: number, metric: Metric): RawMessage => ({ topic: `spBv1.0/${group}/${type}/edge1${type === 'NBIRTH' ? '' : '/pump7'}`, payload: Buffer.from(spb.encodePayload({ timestamp: rec.ts[i], seq, metrics: [metric] })), receivedAt: Date.now() });
    const input1 = new Subject<RawMessage>();
    const first = await startRuntime(persistent, { logger: capturingLogger().logger, source: input1 });
    try {
      input1.next(msg('NBIRTH', 0, 0, { name: 'bdSeq', type: 'UInt64', value: 0 }));
      input1.next(msg('DBIRTH', 1, 0, { name: 'value', alias: 1, type: 'Double', value: rec.values[0] }));
      input1.next(msg('DDATA', 2, 1, { alias: 1, type: 'Double', value: rec.values[1] }));
      await vi.waitFor(() => expect(first.counters.readings).toBe(2), { timeout: 5000 });
    } finally {
      await first.stop();
    }
    const file = codecSessionsFile(persistent.state.file)!;
    const kept = readFileSync(file);
    // The next start, with a clean session: the node restarted meanwhile (NBIRTH 0, DBIRTH 1 giving alias 1 to another
    // metric, DDATA 2, all unseen); its DDATA seq 3 follows the kept seq 2 by chance.
    const clean = { ...persistent, broker: { ...persistent.broker, clean: true, clientId: undefined } };
    // And a persistent session the broker no longer has (restarted without saving it; here: another client id).
    const lost = { ...persistent, broker: { ...persistent.broker, clientId: `${group}-lost` } };
    for (const [cfg, said] of [[clean, false], [lost, true]] as const) {
      writeFileSync(file, kept);
      const input2 = new Subject<RawMessage>();
      const { lines, logger } = capturingLogger();
      const second = await startRuntime(cfg, { logger, source: input2 });
      try {
        expect(existsSync(file)).toBe(false);
        expect(lines.some((l) => String(l.msg).includes('kept no session for us'))).toBe(said);
        input2.next(msg('DDATA', 3, 2, { alias: 1, type: 'Double', value: 1e6 }));
        await vi.waitFor(() => expect(second.edge.rejected.size).toBe(1), { timeout: 5000 });
        expect(second.counters.readings).toBe(0);
      } finally {
        await second.stop();
      }
      expect(existsSync(file)).toBe(false);
    }
  });
});
