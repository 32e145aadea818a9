/**
 * A key written in a config file as its flag takes it (runtime/config/flag-spelling.ts). A probe wrote `codec: json`,
 * `threshold: dspot` and `providers: cpu` (as `--codec json`, `--threshold dspot`, `--providers cpu`) and was told only
 * "Invalid input: expected object, received string".
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config/load.ts';

const base = { model: 'models/pump', broker: { url: 'mqtt://127.0.0.1:1883' } };
const errorOf = (raw: unknown) => {
  try {
    parseConfig(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
};

describe('a key in its flag spelling', () => {
  it('says what to write in the file, as the flag table reads it', () => {
    const msg = errorOf({ ...base, source: { topics: ['s/{sensor}'], codec: 'json' }, threshold: 'dspot', inference: { providers: 'webgpu,cpu' } });
    expect(msg).toContain('source.codec: expected an object, got "json", as the flag --codec takes it; in a file write codec: {"kind":"json"}');
    expect(msg).toContain('threshold: expected an object, got "dspot", as the flag --threshold takes it; in a file write threshold: {"kind":"dspot"}');
    expect(msg).toContain('inference.providers: expected a list, got "webgpu,cpu", as the flag --providers takes it; in a file write providers: ["webgpu","cpu"]');
  });

  it('offers no spelling the schema would refuse there', () => {
    // --smoothing takes an alpha: 'ewma' read by it is no valid smoothing, so nothing is suggested.
    const msg = errorOf({ ...base, source: { topics: ['s/{sensor}'], codec: 'jsn' }, smoothing: 'ewma' });
    expect(msg).toMatch(/smoothing: Invalid input: expected object, received string/);
    expect(msg).not.toContain('in a file write smoothing');
    expect(msg).not.toContain('in a file write codec');
  });
});
