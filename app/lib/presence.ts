// Browser side of presence: who else has this flow or this ticket open, live (see presence.server.ts).
import { useCallback, useEffect, useRef, useState } from 'react';
import { ensureSocket } from './live.ts';

/** One person with the flow open in a designer (several tabs of one user count once). */
export interface DesignerEditor {
  userId: number;
  name: string;
  /** May edit the flow (not only look at it). */
  editing: boolean;
  /** ISO time they opened it. */
  since: string;
}

/**
 * Announces this tab in the definition's designer while mounted, and returns everyone there (this
 * user included). Rejoins after a reconnect; leaving the page or closing the tab removes the entry.
 */
export function useDesignerPresence(definitionId: number): DesignerEditor[] {
  const [editors, setEditors] = useState<DesignerEditor[]>([]);
  useEffect(() => {
    const socket = ensureSocket();
    const join = () =>
      socket.emit('designer:join', { definitionId }, (r: { editors?: DesignerEditor[] }) => {
        if (r?.editors) setEditors(r.editors);
      });
    const onPresence = (m: { definitionId: number; editors: DesignerEditor[] }) => {
      if (m.definitionId === definitionId) setEditors(m.editors);
    };
    socket.on('designer:presence', onPresence);
    const onDisconnect = () => setEditors([]);
    socket.on('connect', join);
    socket.on('disconnect', onDisconnect);
    if (socket.connected) join();
    return () => {
      socket.off('designer:presence', onPresence);
      socket.off('connect', join);
      socket.off('disconnect', onDisconnect);
      socket.emit('designer:leave', { definitionId });
      setEditors([]);
    };
  }, [definitionId]);
  return editors;
}

/** One person with a ticket open (several tabs of one user count once). */
export interface TicketViewer {
  userId: number;
  name: string;
  /** Writing in the reply box now. */
  typing: boolean;
  /** ISO time they opened it. */
  since: string;
}

/**
 * Announces this tab on the ticket while mounted, and returns everyone there (this user included).
 * `setTyping(true)` while the reply box has text, false when it empties or is sent.
 */
export function useTicketPresence(ticketId: number): { viewers: TicketViewer[]; setTyping: (typing: boolean) => void } {
  const [viewers, setViewers] = useState<TicketViewer[]>([]);
  useEffect(() => {
    const socket = ensureSocket();
    const join = () =>
      socket.emit('ticket:join', { ticketId }, (r: { viewers?: TicketViewer[] }) => {
        if (r?.viewers) setViewers(r.viewers);
      });
    const onPresence = (m: { ticketId: number; viewers: TicketViewer[] }) => {
      if (m.ticketId === ticketId) setViewers(m.viewers);
    };
    socket.on('ticket:presence', onPresence);
    const onDisconnect = () => setViewers([]);
    socket.on('connect', join);
    socket.on('disconnect', onDisconnect);
    if (socket.connected) join();
    return () => {
      socket.off('ticket:presence', onPresence);
      socket.off('connect', join);
      socket.off('disconnect', onDisconnect);
      socket.emit('ticket:leave', { ticketId });
      setViewers([]);
    };
  }, [ticketId]);
  const last = useRef<boolean | null>(null);
  const setTyping = useCallback(
    (typing: boolean) => {
      if (last.current === typing) return;
      last.current = typing;
      ensureSocket().emit('ticket:typing', { ticketId, typing });
    },
    [ticketId],
  );
  return { viewers, setTyping };
}
