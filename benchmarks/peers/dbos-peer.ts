/**
 * The DBOS Transact peer of W3, written from DBOS's documentation: a
 * registered workflow of 3 `DBOS.runStep` checkpoints on PostgreSQL, started
 * with `DBOS.startWorkflow`, each result read with the handle's `getResult()`.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { checkOutput, startAll } from './program.js';
import type { PeerProgram } from './program.js';

export async function dbosPeer(): Promise<PeerProgram> {
  DBOS.setConfig({ name: 'reprise-w3-peer', systemDatabaseUrl: `${process.env.PEER_POSTGRES_URL!}/dbos_w3`, logLevel: 'error' });
  const threeSteps = DBOS.registerWorkflow(
    async (x: number) => {
      for (let i = 0; i < 3; i++) x = await DBOS.runStep(async () => x + 1, { name: 'Step' });
      return x;
    },
    { name: 'ThreeSteps' },
  );
  await DBOS.launch();
  return {
    async run(mode, n, tag) {
      const handles = await startAll(mode, n, (i) => DBOS.startWorkflow(threeSteps, { workflowID: `${tag}-${i}` })(i));
      const outputs = await Promise.all(handles.map((h) => h.getResult()));
      outputs.forEach((output, i) => checkOutput('dbos', i, output));
    },
    async close() {
      await DBOS.shutdown();
    },
  };
}
