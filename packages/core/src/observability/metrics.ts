/**
 * OpenTelemetry metrics. Instruments are made once the API is loaded, from
 * the given meter provider or the globally registered one (no-ops when none
 * is); before that, or without the API, every record is skipped.
 *
 * Durations are in seconds (the semantic conventions' unit). Attributes use
 * the `reprise.` namespace: `reprise.orchestrator`, `reprise.activity`,
 * `reprise.outcome`, `reprise.queue`, `reprise.group`, `reprise.reason`.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { INSTRUMENTATION_NAME, otelApi } from './otel.js';
import type { MeterProviderLike } from './telemetry-options.js';
import { METRIC_NAMES } from './metric-names.js';

interface Instruments {
  instancesStarted: Counter;
  instancesCompleted: Counter;
  instancesFailed: Counter;
  instancesTerminated: Counter;
  instancesCanceled: Counter;
  activityDuration: Histogram;
  activityAttempts: Counter;
  episodeDuration: Histogram;
  replayLength: Histogram;
  queueLag: Histogram;
  groupQueueDepth: Histogram;
  groupRejections: Counter;
  scheduleFires: Counter;
  scheduleSkips: Counter;
  leaseLosses: Counter;
}



export class Metrics {
  /** null: the meter is a no-op (nothing given, nothing registered globally at first use), so nothing is ever recorded. */
  #instruments: Instruments | null | undefined;
  constructor(private readonly provider: MeterProviderLike | undefined) {}

  /** The instruments, once the API is loaded and a meter records; undefined while nothing would be recorded. */
  get on(): Instruments | undefined {
    if (this.#instruments !== undefined) return this.#instruments ?? undefined;
    const api = otelApi();
    if (!api) return undefined;
    const meter = (this.provider ? this.provider.getMeter(INSTRUMENTATION_NAME) : api.metrics.getMeter(INSTRUMENTATION_NAME)) as Meter;
    // Instruments of a no-op meter stay no-ops for good (the metrics API has no proxy): skip the calls and their attributes.
    if (typeof api.createNoopMeter === 'function' && meter instanceof api.createNoopMeter().constructor) {
      this.#instruments = null;
      return undefined;
    }
    const counter = (name: string, description: string) => meter.createCounter(name, { description });
    const seconds = (name: string, description: string) => meter.createHistogram(name, { description, unit: 's' });
    this.#instruments = {
      instancesStarted: counter(METRIC_NAMES.instancesStarted, 'Instances whose first episode ran, by orchestrator'),
      instancesCompleted: counter(METRIC_NAMES.instancesCompleted, 'Instances that completed, by orchestrator'),
      instancesFailed: counter(METRIC_NAMES.instancesFailed, 'Instances that failed, by orchestrator'),
      instancesTerminated: counter(METRIC_NAMES.instancesTerminated, 'Instances that were terminated, by orchestrator'),
      instancesCanceled: counter(METRIC_NAMES.instancesCanceled, 'Instances that ended canceled, by orchestrator'),
      activityDuration: seconds(METRIC_NAMES.activityDuration, 'Duration of every activity attempt, failed ones included'),
      activityAttempts: counter(METRIC_NAMES.activityAttempts, 'Activity attempts run, by activity and outcome'),
      episodeDuration: seconds(METRIC_NAMES.episodeDuration, 'Duration of an orchestration episode, load to commit'),
      replayLength: meter.createHistogram(METRIC_NAMES.replayLength, { description: 'History events replayed by an episode (0 on a replay-cache hit)', unit: '{event}' }),
      queueLag: seconds(METRIC_NAMES.queueLag, 'Time from a message or work item being ready to being leased'),
      groupQueueDepth: meter.createHistogram(METRIC_NAMES.groupQueueDepth, { description: 'Position taken in a concurrency group queue by a queued start', unit: '{instance}' }),
      groupRejections: counter(METRIC_NAMES.groupRejections, 'Starts refused by a full concurrency group, by group and reason'),
      scheduleFires: counter(METRIC_NAMES.scheduleFires, 'Runs started by schedules'),
      scheduleSkips: counter(METRIC_NAMES.scheduleSkips, 'Schedule firings that started no run, by reason'),
      leaseLosses: counter(METRIC_NAMES.leaseLosses, 'Leases this runtime lost to another worker, by kind'),
    };
    return this.#instruments;
  }

  add(name: keyof Instruments, value: number, attributes: Attributes): void {
    (this.on?.[name] as Counter | undefined)?.add(value, attributes);
  }

  record(name: keyof Instruments, value: number, attributes: Attributes): void {
    (this.on?.[name] as Histogram | undefined)?.record(value, attributes);
  }
}
