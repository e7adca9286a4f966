import { useTranslation } from 'react-i18next';
import type { GraphError } from '../../modules/workflows/validate.ts';
import type { ImportExportState } from './use-import-export.ts';
import type { PublishingState } from './use-publishing.ts';

/** The designer toolbar's own buttons: export, and for an editor import, the publish message and publish. */
export function PublishBar({
  errors,
  canEdit,
  files,
  publishing,
  waiting,
}: {
  /** The graph's problems: a flow with any is not published. */
  errors: GraphError[];
  canEdit: boolean;
  files: ImportExportState;
  publishing: PublishingState;
  /** The draft is not yet saved as shown (unsaved, saving, or a newer draft awaits a decision). */
  waiting: boolean;
}) {
  const { t } = useTranslation();
  const { publisher, message, setMessage, publish } = publishing;
  return (
    <>
      <button type="button" onClick={files.exportJson}>
        {t('designer.export')}
      </button>
      {canEdit ? (
        <>
          <label className="button file-button">
            {t('designer.import')}
            <input type="file" accept="application/json" hidden onChange={(e) => e.target.files?.[0] && void files.importJson(e.target.files[0])} />
          </label>
          <input
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            placeholder={t('designer.publishMessage')}
            aria-label={t('designer.publishMessage')}
            data-testid="publish-message"
          />
          <button
            type="button"
            className="primary"
            data-testid="publish"
            disabled={errors.length > 0 || waiting || publisher.state !== 'idle'}
            title={errors.length ? t('designer.fixFirst') : undefined}
            onClick={publish}
          >
            {t('designer.publish')}
          </button>
        </>
      ) : null}
    </>
  );
}

/** What publishing (or a rollback) and importing came to: the new version, or why not. */
export function PublishNotices({ publishing, importError }: { publishing: PublishingState; importError: string | null }) {
  const { t } = useTranslation();
  const { publisher, published } = publishing;
  return (
    <>
      {published ? (
        <p className="notice success" role="status" data-testid="published">
          {t('designer.published', { version: published })}
        </p>
      ) : null}
      {publisher.data?.error && !published ? (
        <p className="form-error" role="alert">
          {t(`errors.${publisher.data.error.code}`, publisher.data.error.params)}
        </p>
      ) : null}
      {importError ? (
        <p className="form-error" role="alert">
          {t('designer.importFailed', { message: importError })}
        </p>
      ) : null}
    </>
  );
}
