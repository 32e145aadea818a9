/**
 * @vigil/dashboard: what other packages use of the dashboard. The runtime loads it only when a command asks for it
 * (runtime/cli/dashboard.ts), so a gateway that installs the runtime alone runs without it.
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './server.ts';
export { runtimeFeed } from './runtime-feed.ts';
export type { DashboardFeed, FeedStatus } from './feed.ts';
export { writeReport, type ReportInput, type ReportSensor } from './report.ts';
export { labelSpans, spansFromEvents } from './spans.ts';
