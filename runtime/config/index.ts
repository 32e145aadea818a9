/** `vigil run` configuration: schema, file loading, overrides and redaction. */
export * from './schema.ts';
export * from './load.ts';
