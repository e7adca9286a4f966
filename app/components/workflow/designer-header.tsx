import { Link } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { useRootData } from '../../root.tsx';

/** The designer page's head: back to the list, the flow's name, and whether the draft is saved. */
export function DesignerHeader({ name, saving, dirty, savedAt }: { name: string; saving: boolean; dirty: boolean; savedAt: string | undefined }) {
  const { t } = useTranslation();
  const root = useRootData();
  return (
    <>
      <p>
        <Link to="/workflows">{t('workflows.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">{name}</h1>
        <span className="muted small" data-testid="save-state">
          {saving
            ? t('designer.saving')
            : dirty
              ? t('designer.unsaved')
              : savedAt
                ? t('designer.savedAt', { time: new Date(savedAt).toLocaleTimeString(root?.locale) })
                : t('designer.saved')}
        </span>
      </div>
    </>
  );
}
