import { useTranslation } from 'react-i18next';
import { DateTime } from '../format.tsx';
import type { VersionView } from './types.ts';

/** The published versions, newest (live) first; an editor may roll back to any older one. */
export function VersionsTable({ versions, canEdit, onRollback }: { versions: VersionView[]; canEdit: boolean; onRollback: (version: number) => void }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <h2>{t('designer.versions')}</h2>
      {versions.length ? (
        <table className="data-table" data-testid="versions">
          <thead>
            <tr>
              <th>{t('workflows.version')}</th>
              <th>{t('designer.message')}</th>
              <th>{t('designer.author')}</th>
              <th>{t('workflows.published')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {versions.map((v, i) => (
              <tr key={v.id}>
                <td>
                  {t('designer.versionNumber', { number: v.number })}
                  {i === 0 ? <span className="badge">{t('designer.live')}</span> : null}
                </td>
                <td>{v.message ?? '—'}</td>
                <td>{v.author ?? '—'}</td>
                <td>
                  <DateTime value={v.publishedAt} />
                </td>
                <td>
                  {canEdit && i > 0 ? (
                    <button type="button" onClick={() => onRollback(v.number)}>
                      {t('designer.rollback')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{t('designer.noVersions')}</p>
      )}
    </section>
  );
}
