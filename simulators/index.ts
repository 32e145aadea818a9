/** @vigil/simulators: data in motion (replay, synthetic pumps with labelled faults), embedded broker, alert printing. */
export * from './synthetic/pump.ts';
export * from './synthetic/anomalies.ts';
export * from './synthetic/sensor.ts';
export * from './synthetic/generate.ts';
export * from './synthetic/files.ts';
export * from './synthetic/plot.ts';
export * from './synthetic/plant-set.ts';
export { SKID_CHANNELS, type SkidChannel, type OperatingPoint } from './synthetic/plant-skid.ts';
export { PLANT_FAULTS, type PlantFault } from './synthetic/plant-faults.ts';
export * from './synthetic/plant-set-files.ts';
