/** The public telemetry types: structural, so core's declarations need no OpenTelemetry package. */

/**
 * A `TracerProvider` from `@opentelemetry/api` (structural, so core's public
 * types do not need the package installed).
 */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown;
}

/** A `MeterProvider` from `@opentelemetry/api`. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown;
}

/** `createRuntime({ telemetry })`: where traces and metrics go. */
export interface TelemetryOptions {
  /**
   * Traces go to this provider. Default: the provider the application
   * registered with `@opentelemetry/api` (nothing is traced when there is
   * none, or when the package is not installed).
   */
  tracerProvider?: TracerProviderLike;
  /** Metrics go to this provider. Default: the globally registered one, as for traces. */
  meterProvider?: MeterProviderLike;
}

/** W3C trace context of a caller, for `startNew`/`raiseEvent`/`signalEntity` made on someone's behalf (the HTTP API's `traceparent`). */
export interface TraceContextCarrier {
  traceparent: string;
  tracestate?: string;
}
