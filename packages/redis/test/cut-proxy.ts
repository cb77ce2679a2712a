/**
 * A TCP proxy in front of a real redis-server that can lose replies on
 * purpose: after `loseNextReply()`, the next command a client sends reaches
 * the server (which applies it) but its reply is swallowed and both sides of
 * that connection are cut, the way a server crash between applying a write
 * and answering it looks to the client. New connections pass through.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface CutProxy {
  url: string;
  /** Resolves once a command was forwarded, its reply dropped and its connection cut. */
  loseNextReply(): Promise<void>;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startCutProxy(upstreamPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let armed: (() => void) | undefined;
  let cuts = 0;

  const server: Server = createServer((downstream) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(downstream).add(upstream);
    let swallowing = false;
    const cut = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('data', (chunk) => {
      if (swallowing) return;
      // Only a connection that is past its handshake (ioredis sends `client setinfo` and `info` first, in
      // lower case) carries commands worth losing: the storage opens its worker connection on first use.
      const trigger = armed;
      const head = chunk.subarray(0, 64).toString('latin1').toLowerCase();
      if (trigger && !head.includes('info') && !head.includes('client')) {
        armed = undefined;
        swallowing = true;
        upstream.write(chunk);
        // Give the server time to apply it, then cut without passing its reply on.
        setTimeout(() => {
          cut();
          cuts += 1;
          trigger();
        }, 100);
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!swallowing) downstream.write(chunk);
    });
    for (const socket of [downstream, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        sockets.delete(socket);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `redis://127.0.0.1:${port}`,
    loseNextReply: () => new Promise<void>((resolve) => (armed = resolve)),
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
