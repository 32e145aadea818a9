/** The fleet on NATS JetStream: readings stream, KV leases, durable consumers per partition. */
export * from './config.ts';
export * from './subjects.ts';
export * from './streams.ts';
export * from './bridge.ts';
export * from './leases.ts';
export * from './partition-state.ts';
export * from './rebuild.ts';
export * from './partition-runner.ts';
export * from './worker.ts';
export * from './worker-config.ts';
export * from './status.ts';
