// Browser side of the live channel: one socket per tab, topic subscriptions, and catch-up after a reconnect.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useActionData, useLocation, useNavigation, useRevalidator } from '@remix-run/react';
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

/** Calls `onEvent` for every event on `topic` (or any of `topics`) committed anywhere in the system while mounted. */
export function useLive(topics: Topic | readonly Topic[], onEvent: Listener) {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = (typeof topics === 'string' ? [topics] : [...topics]).join(' ');
  useEffect(() => {
    const s = ensureSocket();
    const listener: Listener = (e) => handler.current(e);
    const sets = (key.split(' ') as Topic[]).map((topic) => {
      let set = subscriptions.get(topic);
      if (!set) {
        set = new Set();
        subscriptions.set(topic, set);
        if (s.connected) subscribe([topic]);
      }
      set.add(listener);
      return set;
    });
    return () => {
      for (const set of sets) set.delete(listener);
    };
  }, [key]);
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
 * Follows a feed the server pushes (`<feed>:update`), such as the dashboard's figures: the page watches on
 * every (re)connect and is answered with the value of that moment (`{ current }`, the catch-up), then gets
 * each new value as it is pushed; it stops watching when it unmounts.
 */
export function useLiveFeed<T>(feed: string, onValue: (value: T) => void) {
  const handler = useRef(onValue);
  handler.current = onValue;
  useEffect(() => {
    const s = ensureSocket();
    const receive = (value: T) => handler.current(value);
    const watch = () =>
      s.emit(`${feed}:watch`, (r?: { current?: T }) => {
        if (r?.current) handler.current(r.current);
      });
    s.on(`${feed}:update`, receive);
    s.on('connect', watch);
    if (s.connected) watch();
    return () => {
      s.off(`${feed}:update`, receive);
      s.off('connect', watch);
      if (s.connected) s.emit(`${feed}:unwatch`);
    };
  }, [feed]);
}

/** How long a reload after a quiet spell waits for the events that follow from the same change. */
const SETTLE_MS = 150;

/**
 * Reloads the route's data when a matching event arrives on any of `topics`. One reload runs at a time, and an event that
 * arrives during one brings another after it, so the page always ends on the newest state (a burst
 * of events never leaves it showing the middle of the burst). `delayMs` spaces reloads at least that far
 * apart: the first event after a quiet spell reloads almost at once (after SETTLE_MS, so that what follows
 * from the same change — the analytics refresher's event after an order's — comes in the same reload), and
 * a burst is gathered into one reload when the spacing allows (leading and trailing, as a throttle). With
 * `leading: false` the first reload too waits `delayMs`, gathering everything that comes meanwhile.
 */
export function useLiveRevalidate(
  topics: Topic | readonly Topic[],
  match: (e: LiveEvent) => boolean = () => true,
  delayMs = 0,
  { leading = true }: { leading?: boolean } = {},
) {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const latest = useRef(revalidator);
  latest.current = revalidator;
  // A form being sent or its page reloading: a live reload now would interrupt it and lose its answer.
  const busy = useRef(false);
  busy.current = navigation.state !== 'idle';
  const wanted = useRef(false);
  const lastReload = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const kick = () => {
    if (!wanted.current || timer.current || latest.current.state !== 'idle' || busy.current) return;
    wanted.current = false;
    lastReload.current = Date.now();
    latest.current.revalidate();
  };
  /** A reload once what committed with the event has arrived too (`settle`), and the last reload is `delayMs` old. */
  const request = () => {
    if (timer.current) return;
    const wait = Math.max(leading ? Math.min(delayMs, SETTLE_MS) : delayMs, lastReload.current + delayMs - Date.now());
    if (wait <= 0) kick();
    else
      timer.current = setTimeout(() => {
        timer.current = null;
        kick();
      }, wait);
  };
  useLive(topics, (e) => {
    if (!match(e)) return;
    wanted.current = true;
    request();
  });
  useEffect(() => {
    if (revalidator.state === 'idle' && navigation.state === 'idle' && wanted.current) request();
  }, [revalidator.state, navigation.state]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}

/**
 * The route's action answer (a toast, a form's errors) as `useActionData`, kept through live reloads: a
 * revalidation ends as a navigation, and the router clears action data at the end of every navigation that
 * is not the action's own reload, so a live event would otherwise wipe the answer a moment after it showed.
 * Kept until the next form is sent or the page changes.
 */
export function useStickyActionData<T>(): ReturnType<typeof useActionData<T>> {
  const data = useActionData<T>();
  const navigation = useNavigation();
  const { key } = useLocation();
  const kept = useRef<{ data: ReturnType<typeof useActionData<T>>; key: string } | null>(null);
  if (data !== undefined) kept.current = { data, key };
  else if (navigation.state === 'submitting' || kept.current?.key !== key) kept.current = null;
  return data ?? kept.current?.data;
}
