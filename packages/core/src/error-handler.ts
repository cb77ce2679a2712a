/**
 * The one shape every Reprise component takes for errors of its own making
 * (the HTTP handler's `onError`; the runtime and adapters adopt it too), so
 * one function can receive them all.
 */
export type ErrorHandler = (error: unknown) => void;
