/** The conformance suite on a real Redis Cluster with a hub of 1 partition (today's key layout); a file per K so vitest runs them side by side. */
import { describeClusterConformance } from './cluster-conformance.js';

describeClusterConformance(1);
