/** @vigil/simulators: data in motion (replay, synthetic pumps with labelled faults), embedded broker, alert printing. */
export * from './synthetic/prng.ts';
export * from './synthetic/pump.ts';
export * from './synthetic/anomalies.ts';
export * from './synthetic/sensor.ts';
export * from './synthetic/generate.ts';
export * from './synthetic/files.ts';
export * from './synthetic/plot.ts';
