/**
 * The client's public type (`runtime.client`): an interface over the class,
 * because the bundled declarations export a class as a value whatever the
 * `export type` says, and the class is not exported at runtime (its
 * constructor takes the runtime's internals). An interface is a type only.
 */
import type { OrchestrationClient as ClientClass } from './client.js';

/** Starts, queries, signals and manages instances; built by the runtime (`runtime.client`). */
export interface OrchestrationClient extends ClientClass {}
