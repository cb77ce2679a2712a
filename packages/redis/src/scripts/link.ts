/**
 * Builds each script from only the prelude helpers it uses. The prelude
 * (prelude.ts) is one ordered text: its top-level statements (the hub prefix,
 * NOW, the notice flags...) go into every script; each `local function` is a
 * helper that goes in only when the script's dependency list names it, or a
 * helper it needs calls it. A helper costs a closure per run, so a script
 * that carried all ≈ 45 paid for them on every call (issue 20).
 *
 * A helper's own dependencies are read from its text (the prelude is ours
 * and ordered: a helper only calls helpers defined above it); a script's are
 * declared in the registry (index.ts) and checked by test/script-deps.test.ts.
 */
import { PRELUDE } from './prelude.js';

interface Unit {
  /** The helper's name; undefined for a top-level statement every script keeps. */
  name?: string;
  text: string;
}

const FUNCTION = /^local function (\w+)\(/;

/** The prelude cut into helpers and top-level statements, in order; comments go with the helper below them. */
function units(prelude: string): Unit[] {
  const out: Unit[] = [];
  let pending: string[] = [];
  let current: { name: string; lines: string[] } | undefined;
  for (const line of prelude.split('\n')) {
    if (current) {
      current.lines.push(line);
      // A top-level function ends at an `end` in the first column (bodies are indented).
      if (line === 'end') {
        out.push({ name: current.name, text: current.lines.join('\n') });
        current = undefined;
      }
      continue;
    }
    const fn = FUNCTION.exec(line);
    if (fn) {
      const lines = [...pending, line];
      pending = [];
      if (/ end$/.test(line)) out.push({ name: fn[1]!, text: lines.join('\n') });
      else current = { name: fn[1]!, lines };
    } else if (line.startsWith('--') || line.trim() === '') {
      pending.push(line);
    } else {
      out.push({ text: [...pending, line].join('\n') });
      pending = [];
    }
  }
  if (current) throw new Error(`prelude: helper '${current.name}' has no closing 'end' in the first column`);
  return out;
}

const UNITS = units(PRELUDE);

/** Every helper the prelude defines, in definition order. */
export const HELPERS: readonly string[] = UNITS.flatMap((u) => (u.name ? [u.name] : []));

const HELPER_SET = new Set(HELPERS);

/** The helpers a Lua text calls or refers to (any `name` of a helper used as a word). */
export function referencedHelpers(lua: string): string[] {
  const found = new Set<string>();
  for (const word of lua.replace(/--[^\n]*/g, '').match(/[A-Za-z_]\w*/g) ?? []) if (HELPER_SET.has(word)) found.add(word);
  return [...found];
}

/** Each helper's direct dependencies, read from its body (minus its own name). */
const DEPENDS = new Map<string, string[]>(UNITS.flatMap((u) => (u.name ? [[u.name, referencedHelpers(u.text.replace(FUNCTION, '')).filter((d) => d !== u.name)] as [string, string[]]] : [])));

/** The prelude part of a script using `uses`: every top-level statement, and those helpers and theirs, in prelude order. */
export function preludeFor(uses: readonly string[]): string {
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    if (!HELPER_SET.has(name)) throw new Error(`no prelude helper named '${name}'`);
    needed.add(name);
    for (const dep of DEPENDS.get(name)!) visit(dep);
  };
  for (const name of uses) visit(name);
  return UNITS.filter((u) => u.name === undefined || needed.has(u.name))
    .map((u) => u.text)
    .join('\n');
}
