// The whole public surface of @reprise/applications.
export { defineApplication } from './define-application.js';
export type {
  ApplicationDefinition,
  ApplicationManifest,
  ParameterSpec,
  ParameterType,
  SubmoduleManifest,
  WorkflowOrchestrator,
  WorkflowRegistration,
} from './define-application.js';
export { withApplications } from './with-applications.js';
export type { Registrations } from './with-applications.js';
export { applicationsClient, hasApplications, applicationNames, APPLY_TIMEOUT_MS } from './client.js';
export type { ApplicationsClient } from './client.js';
export { applicationInstance } from './runner.js';
export type { WorkflowInstance } from './runner.js';
export { InstanceBusyError } from './errors.js';
export { parseValue as parseParameterValue } from './parameters.js';
export type {
  AppInstanceStatus,
  AppInstanceStatusName,
  AppInstanceSummary,
  Component,
  ConfigureOptions,
  DestroyOptions,
  Job,
  JobStatus,
  JobStep,
  JobStepStatus,
  LaunchOptions,
  ListAppInstancesFilter,
  RunWorkflowOptions,
  ScheduleWorkflowOptions,
  ScheduledWorkflow,
} from './types.js';
