// Who else has this flow open, and what they do to it, live over the socket: their saves reach this
// tab as news, and a published version reloads the page's data.
import { useRevalidator } from '@remix-run/react';
import { useLive } from '../../lib/live.ts';
import { useDesignerPresence } from '../../lib/presence.ts';
import type { NewerDraft } from './use-designer-state.ts';

export function usePresence({
  definitionId,
  userId,
  tab,
  onDraftSaved,
}: {
  definitionId: number;
  /** The signed-in user, left out of `others`. */
  userId: number | undefined;
  /** This tab's id: its own saves are no news. */
  tab: string;
  onDraftSaved: (newer: NewerDraft) => void;
}) {
  const revalidator = useRevalidator();
  const editors = useDesignerPresence(definitionId);
  const others = editors.filter((e) => e.userId !== userId);
  useLive('workflows', (e) => {
    if (e.type === 'draft.saved' && e.payload.definitionId === definitionId && e.payload.tab !== tab)
      onDraftSaved({
        by: String(e.payload.by ?? ''),
        actorId: typeof e.payload.actorId === 'number' ? e.payload.actorId : null,
        at: String(e.payload.at ?? ''),
      });
    if (e.type === 'version.published' && e.payload.definitionId === definitionId) revalidator.revalidate();
  });
  return { editors, others };
}
