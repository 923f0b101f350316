/**
 * A TCP proxy (node:net) on 127.0.0.1 in front of one target, to take a dependency away from ONE service
 * instance without stopping the shared server: point the instance at the proxy (viaProxy), then cut().
 *
 * - cut():     every open connection is reset (RST) and the listener closed: new connections are refused
 *              (ECONNREFUSED) at once. Nothing hangs: clients see the failure immediately.
 * - stall():   connections stay open but no byte is forwarded either way, and new connections are accepted
 *              and stalled too (a network partition: the client's own timeouts must fire).
 * - restore(): listen again on the same port and forward again (stalled bytes are then delivered).
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Reset every open connection and refuse new ones until restore(). */
  cut(): void;
  /** Keep connections open but forward nothing (both directions, new connections too) until restore(). */
  stall(): void;
  /** Accept and forward again on the same port. */
  restore(): Promise<void>;
  /** Reset everything and stop listening for good. Idempotent. */
  close(): Promise<void>;
  /** Connections currently open through the proxy. */
  connections(): number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

type State = 'open' | 'cut' | 'stalled' | 'closed';

function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy (Node >= 18.3) sends RST; a socket that never connected can only be destroyed.
  if (socket.readyState === 'open' || socket.readyState === 'readOnly' || socket.readyState === 'writeOnly') socket.resetAndDestroy();
  else socket.destroy();
}

/** Forward src → dst with backpressure; while the proxy is stalled nothing is read (the kernel buffers fill). */
function forward(src: net.Socket, dst: net.Socket, isStalled: () => boolean): void {
  src.on('data', (chunk: Buffer) => {
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => {
    if (!isStalled()) src.resume();
  });
  src.on('end', () => dst.end());
}

export function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let state: State = 'open';
  let port = 0;
  let server: net.Server | undefined;

  const onConnection = (client: net.Socket) => {
    if (state === 'cut' || state === 'closed') {
      reset(client);
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const stalled = () => state === 'stalled';
    if (stalled()) {
      client.pause();
      upstream.pause();
    }
    forward(client, upstream, stalled);
    forward(upstream, client, stalled);
    const teardown = () => {
      if (!pairs.delete(pair)) return;
      reset(client);
      reset(upstream);
    };
    // An error or close on either side ends both (the target refusing shows up as a reset to the client).
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);
  };

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen({ port: p, host: '127.0.0.1', exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', () => undefined);
        server = s;
        resolve((s.address() as net.AddressInfo).port);
      });
    });

  const closeListener = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  const resetAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      reset(pair.client);
      reset(pair.upstream);
    }
  };

  return listen(0).then((p) => {
    port = p;
    return {
      port,
      cut() {
        if (state === 'closed') return;
        state = 'cut';
        // close() stops accepting immediately (the callback only waits for connections, which we reset).
        void closeListener();
        resetAll();
      },
      stall() {
        if (state === 'closed') return;
        if (state === 'cut') throw new Error('stall() after cut(): restore() first');
        state = 'stalled';
        for (const { client, upstream } of pairs) {
          client.pause();
          upstream.pause();
        }
      },
      async restore() {
        if (state === 'closed') throw new Error('restore() after close()');
        const wasCut = state === 'cut';
        state = 'open';
        if (wasCut || !server) {
          try {
            await listen(port);
          } catch (e) {
            throw new Error(`tcp proxy: cannot listen again on 127.0.0.1:${port}: ${(e as Error).message}`, { cause: e });
          }
        }
        for (const { client, upstream } of pairs) {
          client.resume();
          upstream.resume();
        }
      },
      async close() {
        if (state === 'closed') return;
        state = 'closed';
        resetAll();
        await closeListener();
      },
      connections: () => pairs.size,
    };
  });
}

/** `url` (postgres://, redis://, http://...) with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: { port: number }, host = '127.0.0.1'): string {
  const u = new URL(url);
  u.hostname = host;
  u.port = String(proxy.port);
  return u.toString();
}
