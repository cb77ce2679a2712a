// The whole public surface of @reprise/http.
export { createHttpHandler } from './node-adapter.js';
export type { NodeHandler, NextFunction } from './node-adapter.js';
export { createFetchHandler } from './fetch-handler.js';
export type { FetchHandler } from './fetch-handler.js';
export type { HttpHandlerOptions, Principal, Authenticate, Authorize, ApplicationAction, ApplicationTarget } from './options.js';
export type { OrchestratorRunsOptions } from './options.js';
export {
  DURABLE_FUNCTIONS_PREFIXES,
  ORCHESTRATION_API_PREFIXES,
  WORKFLOW_SERVICE_PREFIXES,
  ORCHESTRATOR_RUNS_PREFIXES,
  APPLICATION_INSTANCES_PREFIXES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_ORCHESTRATOR_RUNS_CONCURRENCY,
} from './options.js';
export type { ManagementPayload } from './urls.js';
