/** The streaming pipeline: value types, counters, one operator per stage, and their composition. */
export * from './types.ts';
export * from './counters.ts';
export * from './reorder-by-sensor.ts';
export * from './window-by-sensor.ts';
export * from './data-gaps.ts';
export * from './micro-batch.ts';
export * from './pending-queue.ts';
export * from './infer-batches.ts';
export * from './threshold-bank.ts';
export * from './apply-thresholds.ts';
export * from './from-series.ts';
export * from './pipeline.ts';
export * from './score-series.ts';
