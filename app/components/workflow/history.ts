import { useCallback, useRef, useState } from 'react';

/** Undo / redo over immutable snapshots (the graph), capped so a long session stays small. */
export function useHistory<T>(initial: T, limit = 100) {
  const [present, setPresent] = useState(initial);
  const past = useRef<T[]>([]);
  const future = useRef<T[]>([]);
  const commit = useCallback(
    (next: T | ((prev: T) => T)) => {
      setPresent((prev) => {
        const value = typeof next === 'function' ? (next as (p: T) => T)(prev) : next;
        if (value === prev) return prev;
        past.current = [...past.current.slice(-(limit - 1)), prev];
        future.current = [];
        return value;
      });
    },
    [limit],
  );
  /** Replaces the present without a history entry (e.g. while a node is being dragged). */
  const replace = useCallback((next: T | ((prev: T) => T)) => setPresent((prev) => (typeof next === 'function' ? (next as (p: T) => T)(prev) : next)), []);
  const undo = useCallback(
    () =>
      setPresent((prev) => {
        const last = past.current.at(-1);
        if (last === undefined) return prev;
        past.current = past.current.slice(0, -1);
        future.current = [prev, ...future.current];
        return last;
      }),
    [],
  );
  const redo = useCallback(
    () =>
      setPresent((prev) => {
        const [next, ...rest] = future.current;
        if (next === undefined) return prev;
        future.current = rest;
        past.current = [...past.current, prev];
        return next;
      }),
    [],
  );
  return { present, commit, replace, undo, redo, canUndo: past.current.length > 0, canRedo: future.current.length > 0 };
}
