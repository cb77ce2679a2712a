// Runs the ported chaining sample: serve it, start it over HTTP, follow the
// check-status URL to the end, print the result, exit.
import { startAndPoll, startApp } from './app.js';

const app = await startApp();
try {
  const { started, final } = await startAndPoll(app.baseUrl, 'helloOrchestrator', 'from main');
  console.log('started:', started.id);
  console.log('statusQueryGetUri:', started.statusQueryGetUri);
  console.log(`${String(final.runtimeStatus)}:`, final.output);
} finally {
  await app.close();
}
