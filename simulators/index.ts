/**
 * @vigil/simulators: synthetic sensor data with labelled faults, for a program that wants data to test a detector
 * on, and the embedded broker for one that runs the runtime in process (the replay, the broker and the alert printer
 * as commands are `vigil simulate`, `vigil broker`, `vigil alerts`).
 */
export * from './synthetic/generate.ts';
export { SYNTHETIC_DEFAULTS, type SyntheticOptions } from './synthetic/sensor.ts';
export * from './synthetic/anomalies.ts';
export { PUMP_CHANNELS, channelNames } from './synthetic/pump.ts';
export { parseLabelsCsv, seriesCsv, writeSyntheticCsv } from './synthetic/files.ts';
export { PLANT_SET, plantSet, type PlantLabel, type PlantRun, type PlantSetOptions } from './synthetic/plant-set.ts';
export { writePlantSetCsv } from './synthetic/plant-set-files.ts';
export { startBroker, type EmbeddedBroker } from './broker/aedes.ts';
