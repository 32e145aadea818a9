/**
 * mqtt-packet's BufferList reads in place (bin/packet-reads.mjs): packets parse exactly as before however the socket
 * splits them, every read of a list gives what it gave (values and errors), and a packet read from one socket chunk
 * no longer slices a Buffer per header, length and topic read. Run in child processes: the change is to a class
 * in Node's module cache, for the whole process.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

interface Out {
  changed: number;
  packets: unknown[];
  reads: unknown[];
  slices: number;
}

/** Parse packets split every way and read lists of every split, with or without packetReads; what came out. */
function child(inPlace: boolean): Out {
  const script = `
    import { createRequire } from 'node:module';
    import { packetReads } from './bin/packet-reads.mjs';
    const changed = ${inPlace} ? packetReads() : 0;
    const req = createRequire(import.meta.url);
    const mqttPacket = createRequire(req.resolve('mqtt', { paths: [process.cwd()] }))('mqtt-packet');
    const wire = Buffer.concat([
      mqttPacket.generate({ cmd: 'publish', topic: 'perf/s1/data', payload: Buffer.from('{"ts":1,"a":2}'), qos: 0, retain: false, dup: false }),
      mqttPacket.generate({ cmd: 'publish', topic: 'plant/é/data', payload: Buffer.alloc(300, 7), qos: 1, messageId: 513, retain: true, dup: false }),
      mqttPacket.generate({ cmd: 'puback', messageId: 65535 }),
      mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }),
    ]);
    // MQTT 5: properties of one, two and four bytes, strings, pairs and a variable byte integer.
    const properties = { contentType: 'application/json', messageExpiryInterval: 4000000000, topicAlias: 300, payloadFormatIndicator: true, userProperties: { site: 'nord', line: ['a', 'b'] }, subscriptionIdentifier: 200000 };
    const wire5 = Buffer.concat([
      mqttPacket.generate({ cmd: 'publish', topic: 'plant/p1/data', payload: Buffer.from('{"ts":2}'), qos: 1, messageId: 7, retain: false, dup: false, properties }, { protocolVersion: 5 }),
      mqttPacket.generate({ cmd: 'puback', messageId: 9, reasonCode: 16, properties: { reasonString: 'no subscribers' } }, { protocolVersion: 5 }),
    ]);
    const packets = [];
    for (const [bytes, protocolVersion] of [[wire, 4], [wire5, 5]]) {
      // Every split of the stream into two socket reads, and one byte per read.
      const splits = [...Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]), [...bytes].map((b) => Buffer.from([b]))];
      for (const chunks of splits) {
        const parser = mqttPacket.parser({ protocolVersion });
        const got = [];
        parser.on('packet', (p) => got.push({ cmd: p.cmd, topic: p.topic, payload: p.payload?.toString('hex'), messageId: p.messageId, qos: p.qos, retain: p.retain, length: p.length, reasonCode: p.reasonCode, properties: p.properties }));
        parser.on('error', (e) => got.push({ error: e.message }));
        for (const c of chunks) if (c.length) parser.parse(c);
        packets.push(got);
      }
    }
    // Reads of lists split every way, in range and past it.
    const bytes = Buffer.from([1, 2, 250, 4, 5, 0xc3, 0xa9, 8, 255, 10]);
    const reads = [];
    const proto = Object.getPrototypeOf(mqttPacket.parser()._list);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const list = new proto.constructor([bytes.subarray(0, cut), bytes.subarray(cut)].filter((b) => b.length));
      const at = (f) => { try { return f(); } catch (e) { return 'throws ' + e.constructor.name; } };
      for (let o = -2; o <= bytes.length + 1; o++) {
        reads.push([cut, o, at(() => list.readUInt8(o)), at(() => list.readUInt16BE(o)), at(() => list.readUInt32BE(o)), at(() => list.toString('utf8', o, o + 3)), at(() => list.toString('hex', o, bytes.length))]);
      }
      reads.push([cut, at(() => list.readUInt8()), at(() => list.toString()), at(() => list.toString('utf8', 1.5, 4))]);
    }
    // Buffers sliced out of the list while ten packets, each its own socket read, are parsed.
    let slices = 0;
    const slice = proto.slice;
    proto.slice = function (...a) { slices++; return slice.apply(this, a); };
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    for (let i = 0; i < 10; i++) parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'perf/s1/data', payload: Buffer.from('{"ts":1}'), qos: 0, retain: false, dup: false }));
    proto.slice = slice;
    console.log(JSON.stringify({ changed, packets, reads, slices }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Out;
}

describe("mqtt-packet's BufferList reading in place", () => {
  it('parses every packet and reads every value as before, however the bytes are split', () => {
    const before = child(false);
    const after = child(true);
    expect(after.changed).toBe(1);
    expect(after.packets).toEqual(before.packets);
    expect(after.reads).toEqual(before.reads);
    expect(after.packets[0]).toHaveLength(4);
    expect(after.packets.at(-1)).toEqual([
      expect.objectContaining({ topic: 'plant/p1/data', properties: expect.objectContaining({ messageExpiryInterval: 4000000000, topicAlias: 300, subscriptionIdentifier: 200000, userProperties: { site: 'nord', line: ['a', 'b'] } }) }),
      expect.objectContaining({ cmd: 'puback', reasonCode: 16, properties: { reasonString: 'no subscribers' } }),
    ]);
  });

  it('slices only the payload of a packet read whole from one socket chunk', () => {
    expect(child(false).slices).toBeGreaterThanOrEqual(40);
    expect(child(true).slices).toBe(10);
  });
});
