// A TCP proxy on loopback in front of a real server (PostgreSQL, Temporal), to make the network to it
// hang (stall: bytes stop, connections stay open) or fail (cut: every connection dropped, new ones refused).
import net from 'node:net';

export interface TcpProxy {
  /** host:port of the proxy. */
  address: string;
  port: number;
  stall(): void;
  resume(): void;
  /** Drops every connection and refuses new ones until restore(), as a server that went down. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let stalled = false;
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
      if (stalled) s.pause();
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const own = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${own}`,
    port: own,
    stall() {
      stalled = true;
      for (const s of sockets) s.pause();
    },
    resume() {
      stalled = false;
      for (const s of sockets) s.resume();
    },
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
