/**
 * The TypeScript snippets of a README: every fenced block opened with
 * ```ts or ```typescript. A block whose fence follows the line
 * `<!-- fragment: <why> -->` (blank lines allowed in between) is a fragment,
 * not meant to run alone; every other block must run as a script and exit
 * by itself.
 */
export interface Snippet {
  /** `<file>:<line of the opening fence>` */
  where: string;
  code: string;
  /** Why it does not run alone, when it is a marked fragment. */
  fragment?: string;
}

const FENCE = /^```(ts|typescript)\s*$/;
const FRAGMENT = /^<!--\s*fragment:\s*(.+?)\s*-->$/;

export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const fragment = FRAGMENT.exec(line);
    if (fragment) {
      marker = fragment[1];
      continue;
    }
    if (FENCE.test(line)) {
      const start = i;
      const body: string[] = [];
      while (++i < lines.length && !lines[i]!.trim().startsWith('```')) body.push(lines[i]!);
      snippets.push({ where: `${file}:${start + 1}`, code: `${body.join('\n')}\n`, ...(marker !== undefined && { fragment: marker }) });
      marker = undefined;
      continue;
    }
    // Any other fence or text ends a pending marker: it applies to the next block only.
    if (line.startsWith('```')) {
      while (++i < lines.length && !lines[i]!.trim().startsWith('```'));
      marker = undefined;
    } else if (line !== '') {
      marker = undefined;
    }
  }
  return snippets;
}
