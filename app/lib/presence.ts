// Browser side of designer presence: who else has this flow open, live (see presence.server.ts).
import { useEffect, useState } from 'react';
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
