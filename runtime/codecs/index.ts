/** Payload codecs, their registry and the decode stage. */
export * from './codec.ts';
export * from './values.ts';
export * from './json-object.ts';
export * from './json-array.ts';
export * from './csv-line.ts';
export * from './bare-number.ts';
export * from './sparkplug.ts';
export * from './registry.ts';
export * from './content-type.ts';
export * from './channel-paths.ts';
export * from './decode.ts';
