/**
 * A broker password without a user name (runtime/mqtt/connect.ts). A probe set only VIGIL_MQTT_PASSWORD: MQTT 3.1.1
 * sends a password only with a user name, mqtt.js closed each connection before sending anything, and vigil run
 * stopped after 10 s with "no answer; is it running and reachable?". Said when the client is made, and by
 * --print-config.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { clientOptions } from '../../runtime/mqtt/connect.ts';

const options = (b: Record<string, unknown>) => () => clientOptions(BrokerSchema.parse({ url: 'mqtt://127.0.0.1:1883', ...b }));

describe('a broker password without a user name', () => {
  it('is refused on MQTT 3.1.1, naming the keys; with a user name (or one in the URL), or on MQTT 5, it is fine', () => {
    expect(options({ password: 'p4ss' })).toThrow(/^broker\.password \(or VIGIL_MQTT_PASSWORD\) is set without broker\.username, which MQTT 3\.1\.1 requires with a password: set broker\.username \(or VIGIL_MQTT_USERNAME\), or broker\.protocolVersion: 5$/);
    expect(options({ password: 'p4ss', username: 'gw' })()).toMatchObject({ username: 'gw', password: 'p4ss' });
    expect(options({ password: 'p4ss', protocolVersion: 5 })()).toMatchObject({ password: 'p4ss' });
    expect(options({ url: 'mqtt://gw@127.0.0.1:1883', password: 'p4ss' })()).toMatchObject({ password: 'p4ss' });
  });

  it('vigil run --print-config warns of it and exits 1', () => {
    const r = spawnSync(process.execPath, ['bin/vigil.mjs', 'run', '--model', 'models/machine_temperature', '--broker', 'mqtt://127.0.0.1:1883', '--topic', 'pw-only/+/d', '--print-config'], { env: { ...process.env, VIGIL_MQTT_PASSWORD: 'hunter2', VIGIL_MQTT_USERNAME: '' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: broker\.password \(or VIGIL_MQTT_PASSWORD\) is set without broker\.username/);
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });
});
