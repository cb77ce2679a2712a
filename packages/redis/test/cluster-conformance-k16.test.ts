/** The conformance suite on a real Redis Cluster with a hub of 16 partitions; a file per K so vitest runs them side by side. */
import { describeClusterConformance } from './cluster-conformance.js';

describeClusterConformance(16);
