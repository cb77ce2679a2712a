/** Instrument names, for dashboards and tests. */
export const METRIC_NAMES = {
  instancesStarted: 'reprise.instances.started',
  instancesCompleted: 'reprise.instances.completed',
  instancesFailed: 'reprise.instances.failed',
  instancesTerminated: 'reprise.instances.terminated',
  instancesCanceled: 'reprise.instances.canceled',
  activityDuration: 'reprise.activity.duration',
  activityAttempts: 'reprise.activity.attempts',
  episodeDuration: 'reprise.episode.duration',
  replayLength: 'reprise.episode.replay_length',
  queueLag: 'reprise.queue.lag',
  groupQueueDepth: 'reprise.group.queue_depth',
  groupRejections: 'reprise.group.rejections',
  scheduleFires: 'reprise.schedule.fires',
  scheduleSkips: 'reprise.schedule.skips',
  leaseLosses: 'reprise.lease.losses',
} as const;
