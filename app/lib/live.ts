// Browser side of the live channel: one socket per tab, topic subscriptions, and catch-up after a reconnect.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useRevalidator } from '@remix-run/react';
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

/** The tab's one socket (opened on first use); designer presence (presence.ts) shares it. */
export function ensureSocket(): Socket {
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
    return () => {
      set!.delete(listener);
    };
  }, [topic]);
}

export function useLiveStatus(): Status {
  const [mounted, setMounted] = useState(false);
  useEffect(() => {
    ensureSocket();
    setMounted(true);
  }, []);
  const s = useSyncExternalStore(
    (cb) => {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    () => status,
    () => 'connecting' as Status,
  );
  return mounted ? s : 'connecting';
}

/**
 * Reloads the route's data when a matching event arrives. One reload runs at a time, and an event that
 * arrives during one brings another after it, so the page always ends on the newest state (a burst
 * of events never leaves it showing the middle of the burst). `delayMs` gathers a burst into one reload.
 */
export function useLiveRevalidate(topic: Topic, match: (e: LiveEvent) => boolean = () => true, delayMs = 0) {
  const revalidator = useRevalidator();
  const latest = useRef(revalidator);
  latest.current = revalidator;
  const wanted = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const kick = () => {
    if (!wanted.current || timer.current || latest.current.state !== 'idle') return;
    wanted.current = false;
    latest.current.revalidate();
  };
  useLive(topic, (e) => {
    if (!match(e)) return;
    wanted.current = true;
    if (!delayMs) kick();
    else
      timer.current ??= setTimeout(() => {
        timer.current = null;
        kick();
      }, delayMs);
  });
  useEffect(() => {
    if (revalidator.state === 'idle') kick();
  }, [revalidator.state]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}
