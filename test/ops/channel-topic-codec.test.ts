/**
 * A `{channel}` topic (one value per message) under a codec other than `number` is said at start: its messages are
 * read only when an MQTT 5 content type chooses the number codec, the rest dead-lettered (a probe: every one of them,
 * with nothing said).
 */
import { describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { capturingLogger, recordedModel, testConfig, uniquePrefix } from './harness.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

describe('a {channel} topic and the codec', () => {
  it('warns under json, naming the topic; says nothing under number', async () => {
    const prefix = uniquePrefix('chcodec');
    const starts = async (codec: 'json' | 'number') => {
      const cfg = testConfig(MOSQUITTO, prefix, recordedModel(), { source: { topics: [`${prefix}/j/{sensor}/data`, `${prefix}/n/{sensor}/{channel}`], codec: { kind: codec } } } as never);
      const { lines, logger } = capturingLogger('warn');
      const h = await startRuntime(cfg, { logger });
      await h.stop();
      return lines.filter((l) => String(l.msg).includes('names {channel}'));
    };
    expect(await starts('json')).toMatchObject([{ topic: `${prefix}/n/{sensor}/{channel}`, codec: 'json', msg: expect.stringMatching(/names \{channel\} \(one value per message\), but source\.codec\.kind is json: its messages are read only when their MQTT 5 content type is text\/plain; the rest go to the dead letters/) }]);
    expect(await starts('number')).toEqual([]);
  });
});
