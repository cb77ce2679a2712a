/** The public shapes of applicationsClient: what it takes and what it returns. */

export type AppInstanceStatusName = 'Requested' | 'Running' | 'Executing' | 'Failed' | 'Destroying' | 'Destroyed';
export type JobStatus = 'Executing' | 'Succeeded' | 'Failed';
export type JobStepStatus = 'Requested' | 'Executing' | 'Succeeded' | 'Failed';

export interface JobStep {
  name: string;
  status: JobStepStatus;
  /** 0 to 100: the activity's reported progress; 100 once it succeeded. */
  percentComplete: number;
}

/** One workflow run of an instance. */
export interface Job {
  /** The run's orchestration instance id. */
  id: string;
  /** The workflow's name. */
  name: string;
  status: JobStatus;
  /** Who started the run. */
  ownerId?: string;
  steps: JobStep[];
  createdTime: Date;
}

export interface Component {
  name: string;
  instanceId?: string;
}

/** An application instance as the document's instance object shows it (and a little more: namespace, revisionId, userData). */
export interface AppInstanceStatus {
  id: string;
  name: string;
  /** The manifest version the instance is configured with. */
  version: number;
  parameters: Record<string, unknown>;
  status: AppInstanceStatusName;
  ownerId?: string;
  /** Oldest first. */
  workflowHistory: Job[];
  /** The output objects of successful workflows, each merged into the values before it. */
  returnValues: Record<string, unknown>;
  /** The application's name. */
  applicationId: string;
  environmentId?: string;
  revisionId?: string;
  components: Component[];
  namespace: string;
  userData: Record<string, unknown>;
}

/** One instance in a list. */
export interface AppInstanceSummary {
  id: string;
  name: string;
  applicationId: string;
  environmentId?: string;
  revisionId?: string;
  status: AppInstanceStatusName;
}

export interface LaunchOptions {
  /** @default a generated id */
  instanceId?: string;
  name: string;
  /** Configuration parameters; left-out ones take the manifest's defaults, required ones must be given. */
  parameters?: Record<string, unknown>;
  /** Sections for the manifest's submodules (recursively), as in `configure`. */
  submodules?: Record<string, unknown>;
  environmentId?: string;
  revisionId?: string;
  ownerId?: string;
  userData?: Record<string, unknown>;
  /** The namespace the instance's runs live in. @default '' */
  namespace?: string;
}

export interface ListAppInstancesFilter {
  environmentId?: string;
  /** The application's name. */
  applicationId?: string;
  revisionId?: string;
  namespace?: string;
  /** Entities read per page; the filters apply after, so a page may be short while a token remains. @default 100 */
  pageSize?: number;
  continuationToken?: string;
}

export interface RunWorkflowOptions {
  /** Who starts the run (the job's ownerId). */
  ownerId?: string;
}

export interface ScheduleWorkflowOptions {
  /** Milliseconds from now (0: run now), or a time. */
  interval: number | Date;
  parameters?: Record<string, unknown>;
  ownerId?: string;
}

export interface ScheduledWorkflow {
  /** The schedule's id. */
  id: string;
  /** The workflow's name. */
  name: string;
  /** The next run's time, epoch milliseconds. */
  timestamp: number;
}

export interface ConfigureOptions {
  /** A new name; left out keeps the name. */
  instanceName?: string;
  /** The target manifest version; left out keeps the version. */
  manifestVersion?: number;
  revisionId?: string;
  /** Validated against the target manifest: left-out parameters reset to their defaults. */
  parameters?: Record<string, unknown>;
  submodules?: Record<string, unknown>;
}

export interface DestroyOptions {
  /** Cancel a running workflow first instead of refusing. @default false */
  force?: boolean;
}
