/**
 * vigil latent / encode / denoise take --fill, --providers and --quiet from the runtime's flag table: vigil score's
 * spelling, syntax, defaults (the config schema's providers) and error wording.
 */
import { describe, expect, it } from 'vitest';
import { defaultAt } from '../../../runtime/config/defaults.ts';
import { scoreConfig } from '../../../runtime/cli/score.ts';
import { parseUseArgs, useCommand, withRunOptions } from '../../../train/cli/use-options.ts';

const base = ['--model', 'models/m', '--data', 'd.csv', '--out', 'o.csv'];
const parse = (...more: string[]) => parseUseArgs(withRunOptions(useCommand('vigil encode', 'test', { flag: '--out <csv>', help: 'out' })), [...base, ...more]);

describe('the options the autoencoder uses share with vigil score', () => {
  it('default to the schema and the table, and parse as vigil score does', () => {
    expect(parse()).toMatchObject({ fill: 'error', providers: defaultAt('inference.providers') });
    expect(parse('--providers', 'wasm, cpu', '--fill', 'ffill', '--quiet')).toMatchObject({ providers: ['wasm', 'cpu'], fill: 'ffill', quiet: true });
    expect(parse('--providers', 'cuda').providers).toEqual(scoreConfig({ model: 'models/machine_temperature', providers: 'cuda' }).inference.providers);
    expect(parse('--provider', 'cpu').providers).toEqual(['cpu']);
  });

  it('refuse what vigil score refuses, naming the flag', () => {
    expect(() => parse('--fill', 'nope')).toThrow(/^--fill: expected error, ffill or zero; got 'nope'$/);
    expect(() => parse('--providers', 'cpu,foo')).toThrow(/^--providers: .*"cpu"\|"wasm"/);
  });
});
