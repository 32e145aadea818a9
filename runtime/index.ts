/** @vigil/runtime: the streaming detector and the components offline scoring shares with it. */
export * from './data/timestamp.ts';
export * from './data/series.ts';
export * from './data/csv.ts';
export * from './window/ring.ts';
export * from './window/sliding.ts';
export * from './scaling/scaler.ts';
export * from './model/card.ts';
export * from './model/load.ts';
export * from './scoring/reconstruction.ts';
export * from './inference/backend.ts';
export * from './inference/resolve.ts';
export * from './inference/model-ref.ts';
export * from './inference/open-model.ts';
export * from './thresholds/index.ts';
export * from './scoring/smoothing.ts';
export * from './stream/index.ts';
export * from './alerts/index.ts';
