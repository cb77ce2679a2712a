import { buildUi } from '../scripts/build-ui.mjs';

export default async function setup(): Promise<void> {
  await buildUi();
}
