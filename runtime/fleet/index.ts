/** Scale-out: sticky sensor partitions shared by a fleet of workers over MQTT. */
export * from './partition.ts';
export * from './config.ts';
export * from './membership.ts';
export * from './source.ts';
export * from './bridge.ts';
export * from './handover.ts';
