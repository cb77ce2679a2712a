import { describeStorageConformance } from '@reprise/testing/conformance';
import { memoryStorage } from '@reprise/memory';

describeStorageConformance('memory', { create: () => memoryStorage() });
