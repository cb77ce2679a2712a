import { memoryStorage } from '@reprise/memory';
import { applicationSuite } from './suite.js';

applicationSuite('memory', () => memoryStorage());
