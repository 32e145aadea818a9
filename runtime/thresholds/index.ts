/** Thresholds: the contract, one file per kind, the factory, warm start and state persistence. */
export * from './threshold.ts';
export * from './seed.ts';
export * from './gpd.ts';
export * from './static.ts';
export * from './quantile.ts';
export * from './ewma.ts';
export * from './mad.ts';
export * from './spot.ts';
export * from './dspot.ts';
export * from './telemanom.ts';
export * from './gate.ts';
export * from './learning-log.ts';
export * from './factory.ts';
export * from './store.ts';
