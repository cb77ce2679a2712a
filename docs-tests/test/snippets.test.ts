import { describe, expect, it } from 'vitest';
import { extractSnippets } from './snippets.js';

describe('extractSnippets', () => {
  it('reads ts blocks, and a fragment marker applies to the next block only', () => {
    const md = [
      '# T', '', '```ts', 'run(1);', '```', '',
      '<!-- fragment: a signature -->', '', '```typescript', 'f(a?);', '```',
      '```ts', 'run(2);', '```',
      '<!-- fragment: stale -->', 'Some prose.', '```ts', 'run(3);', '```',
      '<!-- fragment: not ts -->', '```sh', 'echo', '```', '```ts', 'run(4);', '```',
    ].join('\n');
    expect(extractSnippets(md, 'R.md')).toEqual([
      { where: 'R.md:3', code: 'run(1);\n' },
      { where: 'R.md:9', code: 'f(a?);\n', fragment: 'a signature' },
      { where: 'R.md:12', code: 'run(2);\n' },
      { where: 'R.md:17', code: 'run(3);\n' },
      { where: 'R.md:24', code: 'run(4);\n' },
    ]);
  });
});
