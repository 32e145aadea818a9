/**
 * Secrets from the environment (VIGIL_HTTP_TOKEN, VIGIL_MQTT_USERNAME, VIGIL_MQTT_PASSWORD; runtime/config/load.ts):
 * a bad one names the variable it came from. A probe: a token too short in /etc/vigil/vigil.env (the service's
 * EnvironmentFile, as docs/install.md sets it up) said "http.token: expected at least 16 characters", and the config
 * file it pointed at holds no http.token.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load.ts';

const flags = { model: 'm', broker: 'mqtt://127.0.0.1:1883', topics: ['t/+'] };

describe('a secret from the environment that the config refuses', () => {
  it('names the variable it came from', () => {
    expect(() => loadConfig(undefined, flags, { VIGIL_HTTP_TOKEN: 'short' })).toThrow(/http\.token: expected at least 16 characters.* \(from VIGIL_HTTP_TOKEN in the environment\)/);
  });

  it('a good one, and a bad key the environment did not set, are as before', () => {
    expect(loadConfig(undefined, flags, { VIGIL_HTTP_TOKEN: '0123456789abcdef0123' }).http.token).toBe('0123456789abcdef0123');
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-env-secrets-')), 'vigil.yaml');
    writeFileSync(file, 'metrics: { port: 99999 }\n');
    expect(() => loadConfig(file, flags, { VIGIL_HTTP_TOKEN: '0123456789abcdef0123' })).toThrow(/metrics\.port: [^\n]*65535$/m);
  });
});
