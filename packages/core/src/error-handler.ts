/**
 * The one shape every Reprise component takes for errors no caller waits
 * for (`RuntimeOptions.onError`, the Redis and SQLite storages', the HTTP
 * handler's, the test kit's), so one function can receive them all.
 */
export type ErrorHandler = (error: unknown) => void;
