// The draft on the designer's canvas: what it shows, whether that is saved, and how it follows the
// server's draft (saved a moment after each change; another tab's newer draft taken or merged).
import { useFetcher } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Graph } from '../../../workflows/graph.ts';
import { mergeGraphs } from '../../modules/workflows/diff.ts';
import { useRootData } from '../../root.tsx';
import type { DesignerActionData } from './types.ts';

/** Another tab's save of this draft, waiting for this tab's decision. */
export interface NewerDraft {
  by: string;
  actorId: number | null;
  at: string;
}

export function useDesignerState({ definition, canEdit }: { definition: { key: string; draft: Graph }; canEdit: boolean }) {
  const root = useRootData();
  const saver = useFetcher<DesignerActionData>();
  const [graph, setGraph] = useState<Graph>(definition.draft);
  const [dirty, setDirty] = useState(false);
  // This tab's id: a draft.saved from any other tab (another person, or this person elsewhere) is news.
  const [tab] = useState(() => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);
  const [newerDraft, setNewerDraft] = useState<NewerDraft | null>(null);
  // Bumped to remount the canvas when its graph is replaced from outside (taken, merged, imported).
  const [designerKey, setDesignerKey] = useState(0);
  const first = useRef(true);
  // The newest graph, read when the autosave fires: a change landing just as the timer fires must not
  // be lost to the timer's stale closure (it would save the old graph and clear the unsaved flag).
  const latest = useRef<Graph>(definition.draft);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The server's draft this tab last agreed with (loaded, saved or taken over): the base of a merge.
  const base = useRef<Graph>(definition.draft);
  const submitted = useRef<Graph>(definition.draft);

  // Drafts save themselves a moment after the last change.
  const onChange = useCallback((g: Graph) => {
    if (first.current) {
      first.current = false;
      return;
    }
    latest.current = g;
    setGraph(g);
    setDirty(true);
  }, []);
  // While a newer draft from someone else is waiting for a decision, nothing is saved over it.
  useEffect(() => {
    if (!dirty || !canEdit || newerDraft) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      submitted.current = latest.current;
      saver.submit({ intent: 'save', graph: JSON.stringify(latest.current), tab, _csrf: root?.csrf ?? '' }, { method: 'post' });
      setDirty(false);
    }, 1200);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [graph, dirty, canEdit, newerDraft, saver, tab, root?.csrf]);
  const savedAt = saver.data?.savedAt;
  useEffect(() => {
    if (savedAt) base.current = submitted.current;
  }, [savedAt]);

  // Another tab saving this draft is shown at once: an editor chooses to take theirs, merge, or keep
  // theirs out (their next save then overwrites it); a read-only viewer simply sees the newer draft.
  const fresh = useFetcher<{ definition: { draft: Graph } }>();
  const staleData = useRef<unknown>(null);
  const [taking, setTaking] = useState<'theirs' | 'merge' | null>(null);
  const [conflicts, setConflicts] = useState<string[]>([]);
  const takeNewer = (how: 'theirs' | 'merge') => {
    staleData.current = fresh.data;
    setTaking(how);
    fresh.load(`/workflows/${encodeURIComponent(definition.key)}`);
  };
  const draftSaved = (newer: NewerDraft) => {
    if (canEdit) setNewerDraft(newer);
    else takeNewer('theirs');
  };
  useEffect(() => {
    if (!taking || fresh.state !== 'idle' || !fresh.data || fresh.data === staleData.current) return;
    const theirs = fresh.data.definition.draft;
    const merged = taking === 'merge' ? mergeGraphs(base.current, latest.current, theirs) : null;
    base.current = theirs;
    latest.current = merged?.graph ?? theirs;
    first.current = !merged; // taking theirs as it is saves nothing; a merge is a change of mine to save
    setGraph(latest.current);
    setDirty(!!merged);
    setConflicts(merged?.conflicts ?? []);
    setNewerDraft(null);
    setTaking(null);
    setDesignerKey((k) => k + 1);
  }, [taking, fresh.state, fresh.data]);

  /** A graph from elsewhere (an imported file) replaces the canvas, as a change of mine to save. */
  const replaceGraph = (g: Graph) => {
    latest.current = g;
    setGraph(g);
    setDirty(true);
    setDesignerKey((k) => k + 1);
  };

  return {
    graph,
    dirty,
    saver,
    tab,
    designerKey,
    onChange,
    replaceGraph,
    newerDraft,
    /** Another tab saved this draft (its live event). */
    draftSaved,
    takeNewer,
    keepMine: () => setNewerDraft(null),
    taking,
    conflicts,
  };
}

export type DesignerState = ReturnType<typeof useDesignerState>;
