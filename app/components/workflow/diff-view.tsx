import { Form, Link } from '@remix-run/react';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Designer } from './designer.tsx';
import { diffCss, nodeLabel } from './helpers.ts';
import type { Comparison, VersionView } from './types.ts';

/**
 * Two published versions compared (shown once there are two): the pickers, then the newer graph with
 * what was added, changed and removed coloured in, and the same as lists.
 */
export function DiffView({ versions, compare, compareError }: { versions: VersionView[]; compare: Comparison | null; compareError: string | null }) {
  const { t } = useTranslation();
  const diffStyle = useMemo(() => (compare ? diffCss(compare.diff) : ''), [compare]);
  if (versions.length <= 1) return null;
  return (
    <section className="card" data-testid="compare">
      <h2>{t('diff.title')}</h2>
      <Form method="get" className="filters plain">
        <label className="field">
          <span>{t('diff.from')}</span>
          <select name="from" defaultValue={compare?.from ?? versions[1].number} data-testid="compare-from">
            {versions.map((v) => (
              <option key={v.id} value={v.number}>
                {t('designer.versionNumber', { number: v.number })}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('diff.to')}</span>
          <select name="to" defaultValue={compare?.to ?? versions[0].number} data-testid="compare-to">
            {versions.map((v) => (
              <option key={v.id} value={v.number}>
                {t('designer.versionNumber', { number: v.number })}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="compare-run">
          {t('diff.compare')}
        </button>
        {compare ? <Link to="?">{t('diff.close')}</Link> : null}
      </Form>
      {compareError ? (
        <p className="form-error" role="alert">
          {t('diff.notFound')}
        </p>
      ) : null}
      {compare ? (
        <div className="diff-view" data-testid="diff">
          <style dangerouslySetInnerHTML={{ __html: diffStyle }} />
          <p className="muted small">
            {t('diff.summary', { from: compare.from, to: compare.to })}{' '}
            <span className="diff-legend added">{t('diff.added', { count: compare.diff.addedNodes.length + compare.diff.addedEdges.length })}</span>{' '}
            <span className="diff-legend changed">{t('diff.changed', { count: compare.diff.changedNodes.length })}</span>{' '}
            <span className="diff-legend removed">{t('diff.removed', { count: compare.diff.removedNodes.length + compare.diff.removedEdges.length })}</span>
          </p>
          <Designer key={`${compare.from}-${compare.to}`} graph={compare.shown} readOnly />
          <div className="diff-lists">
            {compare.diff.addedNodes.length ? (
              <p data-testid="diff-added">
                <strong>{t('diff.addedSteps')}</strong> {compare.diff.addedNodes.map((id) => nodeLabel(compare.newer, id)).join(', ')}
              </p>
            ) : null}
            {compare.diff.changedNodes.length ? (
              <p data-testid="diff-changed">
                <strong>{t('diff.changedSteps')}</strong>{' '}
                {compare.diff.changedNodes
                  .map(
                    (c) =>
                      `${nodeLabel(compare.newer, c.id)} (${[c.type ? t('diff.typeChanged') : '', c.config ? t('diff.configChanged') : ''].filter(Boolean).join(', ')})`,
                  )
                  .join('; ')}
              </p>
            ) : null}
            {compare.diff.removedNodes.length ? (
              <p data-testid="diff-removed">
                <strong>{t('diff.removedSteps')}</strong> {compare.diff.removedNodes.map((id) => nodeLabel(compare.older, id)).join(', ')}
              </p>
            ) : null}
            {compare.diff.removedEdges.length ? (
              <p>
                <strong>{t('diff.removedConnections')}</strong>{' '}
                {compare.diff.removedEdges
                  .map((id) => {
                    const e = compare.older.edges.find((x) => x.id === id);
                    return e ? `${nodeLabel(compare.older, e.source)} → ${nodeLabel(compare.older, e.target)}` : id;
                  })
                  .join(', ')}
              </p>
            ) : null}
            {!compare.diff.addedNodes.length &&
            !compare.diff.changedNodes.length &&
            !compare.diff.removedNodes.length &&
            !compare.diff.addedEdges.length &&
            !compare.diff.removedEdges.length ? (
              <p className="muted">{t('diff.same')}</p>
            ) : null}
          </div>
        </div>
      ) : null}
    </section>
  );
}
