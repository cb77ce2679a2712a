/**
 * PostgreSQL for the DBOS peer: a throwaway cluster this benchmark creates
 * (`initdb`) and starts (`pg_ctl`) in a temp folder, on a free loopback port,
 * with the server's default durability (fsync on, synchronous_commit on).
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../packages/redis/test/redis-server.js';

export interface PostgresServer {
  url: string;
  /** The postmaster's process id (its backends are its children). */
  pid: number;
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (Debian's layout). */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)');
  const asUser = process.getuid?.() === 0 ? postgresIds() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'reprise-pg-'));
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (tool: string, args: string[]) => {
    const result = spawnSync(join(bin, tool), args, { encoding: 'utf8', cwd: dir, ...asUser });
    if (result.status !== 0) throw new Error(`${tool} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`;
  run('pg_ctl', ['start', '-w', '-D', data, '-l', join(dir, 'postgres.log'), '-o', serverOptions]);
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}`,
    pid,
    async stop() {
      run('pg_ctl', ['stop', '-w', '-m', 'fast', '-D', data]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
  } catch {
    throw new Error("running as root and there is no 'postgres' user for the server (the postgresql package creates it)");
  }
}
