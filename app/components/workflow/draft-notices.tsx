import { useTranslation } from 'react-i18next';
import type { DesignerEditor } from '../../lib/presence.ts';
import { useRootData } from '../../root.tsx';
import { nodeLabel } from './helpers.ts';
import type { DesignerState } from './use-designer-state.ts';

/** Another tab saved this draft (take theirs, merge, or keep mine), and what a merge could not reconcile. */
export function DraftNotices({ draft, editors }: { draft: DesignerState; editors: DesignerEditor[] }) {
  const { t } = useTranslation();
  const root = useRootData();
  const { newerDraft, taking, takeNewer, keepMine, conflicts, graph } = draft;
  return (
    <>
      {newerDraft ? (
        <div className="notice warning" role="status" data-testid="draft-notice">
          <span>
            {t('designer.newerDraft', {
              who: editors.find((e) => e.userId === newerDraft.actorId)?.name ?? newerDraft.by,
              time: newerDraft.at ? new Date(newerDraft.at).toLocaleTimeString(root?.locale) : '',
            })}
          </span>{' '}
          <button type="button" onClick={() => takeNewer('theirs')} disabled={!!taking} data-testid="draft-take-theirs">
            {t('designer.takeTheirs')}
          </button>{' '}
          <button type="button" onClick={() => takeNewer('merge')} disabled={!!taking} data-testid="draft-merge">
            {t('designer.mergeTheirs')}
          </button>{' '}
          <button type="button" className="link-button" onClick={keepMine} disabled={!!taking} data-testid="draft-keep-mine">
            {t('designer.keepMine')}
          </button>
        </div>
      ) : null}
      {conflicts.length ? (
        <p className="notice warning" role="status" data-testid="merge-conflicts">
          {t('designer.mergeConflicts', { nodes: conflicts.map((id) => nodeLabel(graph, id)).join(', ') })}
        </p>
      ) : null}
    </>
  );
}
