// Browser side of the live channel: one socket per tab, topic subscriptions, and catch-up after a reconnect.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { Topic } from './permissions.ts';

export interface LiveEvent {
  id: number;
  topic: Topic;
  type: string;
  payload: Record<string, unknown>;
  at: string;
}

type Listener = (e: LiveEvent) => void;
type Status = 'connecting' | 'online' | 'offline';

let socket: Socket | null = null;
let status: Status = 'connecting';
const statusListeners = new Set<() => void>();
const subscriptions = new Map<Topic, Set<Listener>>();
let lastId: number | null = null;

function setStatus(next: Status) {
  status = next;
  statusListeners.forEach((l) => l());
}

function deliver(e: LiveEvent) {
  if (lastId !== null && e.id <= lastId) return; // already seen (catch-up overlaps live delivery)
  lastId = e.id;
  subscriptions.get(e.topic)?.forEach((l) => l(e));
}

function subscribe(topics: Topic[]) {
  if (!socket?.connected || topics.length === 0) return;
  socket.emit('subscribe', { topics, since: lastId }, (r: { missed?: LiveEvent[] }) => r?.missed?.forEach(deliver));
}

function ensureSocket(): Socket {
  if (socket) return socket;
  socket = io({ transports: ['websocket', 'polling'], withCredentials: true });
  socket.on('connect', () => {
    setStatus('online');
    // (Re)join every room this tab wants; `since` replays what was missed while offline.
    subscribe([...subscriptions.keys()]);
  });
  socket.on('disconnect', () => setStatus('offline'));
  socket.on('connect_error', () => setStatus('offline'));
  socket.on('event', deliver);
  return socket;
}

/** Calls `onEvent` for every event on `topic` committed anywhere in the system while mounted. */
export function useLive(topic: Topic, onEvent: Listener) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const s = ensureSocket();
    const listener: Listener = (e) => handler.current(e);
    let set = subscriptions.get(topic);
    if (!set) {
      set = new Set();
      subscriptions.set(topic, set);
      if (s.connected) subscribe([topic]);
    }
    set.add(listener);
    return () => { set!.delete(listener); };
  }, [topic]);
}

export function useLiveStatus(): Status {
  const [mounted, setMounted] = useState(false);
  useEffect(() => { ensureSocket(); setMounted(true); }, []);
  const s = useSyncExternalStore(
    (cb) => { statusListeners.add(cb); return () => statusListeners.delete(cb); },
    () => status,
    () => 'connecting' as Status,
  );
  return mounted ? s : 'connecting';
}
