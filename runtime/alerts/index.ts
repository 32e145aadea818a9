/** Alerts: the per-sensor state machine and the operators that raise open/close events. */
export * from './tracker.ts';
export * from './alert-bank.ts';
export * from './raise-alerts.ts';
