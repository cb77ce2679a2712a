/**
 * `@opentelemetry/api`, loaded once and only if installed: it is an optional
 * peer dependency, so core never imports it statically. Reprise registers
 * nothing globally; it uses the providers it is given, or the ones the
 * application registered (the API's globals, no-ops when none is).
 */
import type * as OtelApi from '@opentelemetry/api';

export type Otel = typeof OtelApi;

let loaded: Promise<Otel | undefined> | undefined;
let api: Otel | undefined;

/** Loads the API (once per process); resolves undefined when it is not installed. */
export function loadOtel(): Promise<Otel | undefined> {
  return (loaded ??= import('@opentelemetry/api').then(
    (module) => {
      // The CJS build seen through ESM interop may nest the namespace under `default`.
      const resolved = ((module as { trace?: unknown }).trace ? module : (module as unknown as { default?: Otel }).default) as Otel | undefined;
      api = resolved;
      return resolved;
    },
    () => undefined,
  ));
}

/** The API once `loadOtel` has resolved, else undefined. */
export function otelApi(): Otel | undefined {
  return api;
}

export type { MeterProviderLike, TelemetryOptions, TraceContextCarrier, TracerProviderLike } from './telemetry-options.js';

export const INSTRUMENTATION_NAME = '@reprise/core';
