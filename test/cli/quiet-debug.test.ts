/**
 * The quiet `debug` in front of mqtt.js and mqtt-packet (bin/quiet-debug.mjs): a logger DEBUG does not enable is one
 * that does nothing (the real one allocates its arguments on every call, about twenty times per packet parsed), and
 * one DEBUG enables still logs. Run in child processes: the factory is put in Node's module cache before mqtt loads.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

/** Run `quiet` (whether to call quietDebug first), parse one PUBLISH with mqtt-packet, print what its logger is. */
function child(quiet: boolean, env: NodeJS.ProcessEnv = {}) {
  const script = `
    import { createRequire } from 'node:module';
    import { quietDebug } from './bin/quiet-debug.mjs';
    const quietened = ${quiet} ? quietDebug() : [];
    const req = createRequire(import.meta.url);
    const packetReq = createRequire(req.resolve('mqtt', { paths: [process.cwd()] }));
    const mqttPacket = packetReq('mqtt-packet');
    const debugOfPacket = createRequire(packetReq.resolve('mqtt-packet'))('debug');
    const log = debugOfPacket('mqtt-packet:parser');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let got;
    parser.on('packet', (p) => (got = p));
    parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'perf/s1/data', payload: Buffer.from('{"ts":1}'), qos: 0, retain: false, dup: false }));
    console.log(JSON.stringify({ quietened: quietened.length, real: 'useColors' in log, topic: got?.topic, payload: got?.payload.toString() }));
  `;
  const env0 = { ...process.env };
  delete env0.DEBUG;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...env0, ...env }, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { quietened: number; real: boolean; topic: string; payload: string }, stderr: r.stderr };
}

describe('quiet debug of mqtt.js and mqtt-packet', () => {
  it("gives mqtt-packet a do-nothing logger when DEBUG does not name it, and packets parse as before", () => {
    const { out, stderr } = child(true);
    expect(out.quietened).toBeGreaterThanOrEqual(1);
    expect(out.real).toBe(false);
    expect(out).toMatchObject({ topic: 'perf/s1/data', payload: '{"ts":1}' });
    expect(stderr).toBe('');
    // Without it, mqtt-packet's logger is the real one (what the quiet one replaces).
    expect(child(false).out.real).toBe(true);
  });

  it('leaves the real logger to a namespace DEBUG enables: its log is still written', () => {
    const { out, stderr } = child(true, { DEBUG: 'mqtt-packet:*' });
    expect(out.real).toBe(true);
    expect(stderr).toMatch(/mqtt-packet:parser .*_parsePublish/);
    // Another namespace in DEBUG does not wake mqtt-packet's.
    expect(child(true, { DEBUG: 'vigil:*' }).out.real).toBe(false);
  });
});
