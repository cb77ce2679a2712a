/**
 * `client.schedules`'s public type: an interface over the class, for the
 * same reason as the client's (see client/public-client.ts).
 */
import type { ScheduleClient as ScheduleClientClass } from './schedules-client.js';

/** Creates, reads, lists and commands schedules (`runtime.client.schedules`). */
export interface ScheduleClient extends ScheduleClientClass {}
