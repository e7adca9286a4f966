// socket.io clients as a signed-in browser tab (or a script with no session) would open them.
import { io, type Socket } from 'socket.io-client';
import { signIn } from './http.ts';

type App = Parameters<typeof signIn>[0];

/** A connected socket with the session of `role` (null: none); rejects with the server's refusal. */
export async function connectSocket(app: App, role: string | null, opts: { url?: string; headers?: Record<string, string> } = {}): Promise<Socket> {
  const cookie = role ? (await signIn(app, role)).cookieHeader : '';
  const socket = io(opts.url ?? app.url, { transports: ['websocket'], extraHeaders: { Cookie: cookie, ...opts.headers }, reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });
  return socket;
}
