// The whole public surface of @reprise/dashboard.
export { createDashboard } from './dashboard.js';
export type { DashboardHandler, FetchHandler } from './dashboard.js';
export type { NodeHandler, NextFunction } from './node-adapter.js';
export type { DashboardOptions, Principal, Authenticate } from './options.js';
