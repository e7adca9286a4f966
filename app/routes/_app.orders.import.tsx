import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DELIVERY_METHODS } from '../../entities/constants.ts';
import { requireUser } from '../lib/auth.server.ts';
import {
  CSV_COLUMNS,
  LINE_COLUMNS,
  REQUIRED_COLUMNS,
  failedRows,
  failedRowsCsv,
  forEachConcurrently,
  idempotencyKey,
  outcomeOf,
  parseOrdersCsv,
  templateCsv,
  type ImportOrder,
  type OrderOutcome,
  type ParsedImport,
  type RowIssue,
} from '../modules/orders/csv-import.ts';

/** Orders sent at once; each is its own request and its own transaction on the server. */
const CONCURRENCY = 4;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'orders.manage');
  const channels = await context.orm.em
    .fork()
    .execute<{ code: string; currencies: string[] }[]>('select code, currencies from channel where active order by code');
  return { channels };
}

type Phase = 'ready' | 'running' | 'done';
interface Loaded {
  name: string;
  parsed: ParsedImport;
}

/** Sends one order to the order API with the browser's session; every failure becomes an outcome, never a throw. */
async function sendOrder(fileName: string, order: ImportOrder): Promise<OrderOutcome> {
  try {
    const res = await fetch('/api/v1/orders', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': idempotencyKey(fileName, order.channel, order.externalId) },
      body: JSON.stringify(order.payload),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: outcomeOf reports the status */
    }
    return outcomeOf(order, res.status, body, res.headers.get('Idempotent-Replayed') === 'true');
  } catch {
    return outcomeOf(order, 0, null, false);
  }
}

/** An object URL for a text file, revoked when the text changes or the page goes. */
function useFileUrl(text: string | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (text === null) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [text]);
  return url;
}

export default function ImportOrders() {
  const { channels } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [phase, setPhase] = useState<Phase>('ready');
  const [outcomes, setOutcomes] = useState<ReadonlyMap<string, OrderOutcome>>(new Map());
  const [inputKey, setInputKey] = useState(0);

  const parsed = loaded?.parsed;
  const sendable = useMemo(() => parsed?.orders.filter((o) => o.payload) ?? [], [parsed]);
  const refused = useMemo(() => parsed?.orders.filter((o) => !o.payload) ?? [], [parsed]);

  // Leaving the page would stop sending part-way (each order already sent stays whole either way).
  useEffect(() => {
    if (phase !== 'running') return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [phase]);

  async function choose(file: File | undefined) {
    setOutcomes(new Map());
    setPhase('ready');
    setLoaded(file ? { name: file.name, parsed: parseOrdersCsv(await file.text()) } : null);
  }

  async function start() {
    if (!loaded || phase !== 'ready') return;
    setPhase('running');
    await forEachConcurrently(sendable, CONCURRENCY, async (order) => {
      const outcome = await sendOrder(loaded.name, order);
      setOutcomes((prev) => new Map(prev).set(order.key, outcome));
    });
    setPhase('done');
  }

  function reset() {
    setLoaded(null);
    setOutcomes(new Map());
    setPhase('ready');
    setInputKey((k) => k + 1);
  }

  const counts = { imported: 0, duplicate: 0, failed: refused.length };
  const serverFailed: { order: ImportOrder; issues: RowIssue[]; replayed: boolean }[] = [];
  const created: { order: ImportOrder; outcome: Exclude<OrderOutcome, { kind: 'failed' }> }[] = [];
  for (const order of sendable) {
    const outcome = outcomes.get(order.key);
    if (!outcome) continue;
    if (outcome.kind === 'failed') {
      counts.failed++;
      serverFailed.push({ order, issues: outcome.issues, replayed: outcome.replayed });
    } else {
      counts[outcome.kind]++;
      created.push({ order, outcome });
    }
  }

  const issueText = (issue: RowIssue) => {
    const reason = t(issue.reason.key, { ...issue.reason.params, defaultValue: t('errors.internal') });
    return issue.column ? t('csvImport.inColumn', { column: issue.column, reason }) : reason;
  };
  const report = failedRows([...refused.map((order) => ({ order, issues: order.issues, replayed: false })), ...serverFailed]).map((row) => ({
    ...row,
    reasons: [...row.issues.map(issueText), ...(row.replayed ? [t('csvImport.replayed')] : [])],
  }));
  const reportCsv =
    parsed && report.length && phase !== 'running'
      ? failedRowsCsv(
          parsed.header,
          report.map((r) => ({ fields: r.fields, reason: r.reasons.join(' ') })),
        )
      : null;
  const reportUrl = useFileUrl(reportCsv);
  const templateUrl = useMemo(() => `data:text/csv;charset=utf-8,${encodeURIComponent(templateCsv())}`, []);
  const failedName = `${(loaded?.name ?? 'orders').replace(/\.csv$/i, '')}-failed.csv`;
  const finished = outcomes.size;

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('csvImport.title')}</h1>
        <Link to="/orders">{t('orders.back')}</Link>
      </div>

      <section className="card">
        <p>{t('csvImport.intro')}</p>
        <div className="inline-actions">
          <label className="field">
            <span>{t('csvImport.file')}</span>
            <input
              key={inputKey}
              type="file"
              accept=".csv,text/csv"
              disabled={phase === 'running'}
              data-testid="csv-file"
              onChange={(e) => void choose(e.currentTarget.files?.[0])}
            />
          </label>
          <a href={templateUrl} download="orders-template.csv" data-testid="csv-template">
            {t('csvImport.template')}
          </a>
        </div>

        {parsed?.fileIssues.length ? (
          <div className="notice warning" role="alert" data-testid="csv-file-issues">
            <p>{t('csvImport.fileRefused')}</p>
            <ul>
              {parsed.fileIssues.map((r) => (
                <li key={r.key}>{t(r.key, r.params)}</li>
              ))}
            </ul>
          </div>
        ) : null}

        {parsed && !parsed.fileIssues.length ? (
          <div data-testid="csv-ready">
            <p>{t('csvImport.ready', { rows: parsed.rowCount, orders: parsed.orders.length })}</p>
            {refused.length ? <p className="muted">{t('csvImport.notSendable', { count: refused.length })}</p> : null}
            {phase === 'ready' ? (
              sendable.length ? (
                <button type="button" className="primary" onClick={() => void start()} data-testid="csv-start">
                  {t('csvImport.start', { count: sendable.length })}
                </button>
              ) : (
                <p className="form-error">{t('csvImport.nothingToSend')}</p>
              )
            ) : null}
          </div>
        ) : null}

        {phase !== 'ready' && sendable.length ? (
          <div className="field" data-testid="csv-progress-block">
            <progress
              value={finished}
              max={sendable.length}
              aria-label={t('csvImport.progressLabel')}
              data-testid="csv-progress"
              style={{ width: '100%', maxWidth: '32rem' }}
            />
            <span role="status" data-testid="csv-progress-label">
              {t('csvImport.progress', { done: finished, count: sendable.length })}
            </span>
          </div>
        ) : null}

        {phase === 'done' ? (
          <div className={`notice ${counts.failed ? 'warning' : 'success'}`} data-testid="csv-summary">
            <strong>{t('csvImport.summary.title')}</strong>
            <dl className="facts">
              <dt>{t('csvImport.summary.imported')}</dt>
              <dd data-testid="summary-imported">{counts.imported}</dd>
              <dt>{t('csvImport.summary.duplicates')}</dt>
              <dd data-testid="summary-duplicates">{counts.duplicate}</dd>
              <dt>{t('csvImport.summary.failed')}</dt>
              <dd data-testid="summary-failed">{counts.failed}</dd>
            </dl>
            <p>
              <button type="button" className="link-button" onClick={reset} data-testid="csv-again">
                {t('csvImport.again')}
              </button>
            </p>
          </div>
        ) : null}
      </section>

      {report.length ? (
        <section className="card" data-testid="csv-report">
          <h2>{t('csvImport.report.title')}</h2>
          {reportUrl ? (
            <p>
              <a href={reportUrl} download={failedName} data-testid="csv-download-failed">
                {t('csvImport.report.download')}
              </a>
            </p>
          ) : null}
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th className="num">{t('csvImport.report.line')}</th>
                  <th>{t('csvImport.report.order')}</th>
                  <th>{t('csvImport.report.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {report.map((row) => (
                  <tr key={row.line} data-testid="csv-failed-row" data-line={row.line}>
                    <td className="num">{row.line}</td>
                    <td>
                      {row.externalId || null}
                      <div className="muted small">{row.channel}</div>
                    </td>
                    <td>
                      {row.reasons.map((r, i) => (
                        <div key={i}>{r}</div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {created.length ? (
        <section className="card" data-testid="csv-created">
          <h2>{t('csvImport.created.title')}</h2>
          <div className="table-wrap" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th>{t('orders.columns.number')}</th>
                  <th>{t('csvImport.report.order')}</th>
                  <th>{t('csvImport.created.result')}</th>
                </tr>
              </thead>
              <tbody>
                {created.map(({ order, outcome }) => (
                  <tr key={order.key} data-testid="csv-created-row">
                    <td>
                      {outcome.number ? (
                        <Link to={outcome.id ? `/orders/${outcome.id}` : `/orders?q=${encodeURIComponent(outcome.number)}`}>{outcome.number}</Link>
                      ) : null}
                    </td>
                    <td>
                      {order.externalId}
                      <div className="muted small">{order.channel}</div>
                    </td>
                    <td>{t(`csvImport.created.${outcome.kind}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      <section className="card" data-testid="csv-format">
        <h2>{t('csvImport.format.title')}</h2>
        <p>{t('csvImport.format.body')}</p>
        <p className="muted">{t('csvImport.format.channels', { list: channels.map((c) => `${c.code} (${c.currencies.join(', ')})`).join('; ') })}</p>
        <div className="table-wrap" tabIndex={0}>
          <table className="data-table">
            <thead>
              <tr>
                <th>{t('csvImport.format.column')}</th>
                <th>{t('csvImport.format.required')}</th>
                <th>{t('csvImport.format.level')}</th>
                <th>{t('csvImport.format.meaning')}</th>
              </tr>
            </thead>
            <tbody>
              {CSV_COLUMNS.map((c) => (
                <tr key={c}>
                  <td>
                    <code>{c}</code>
                  </td>
                  <td>{REQUIRED_COLUMNS.includes(c) ? t('csvImport.format.yes') : t('csvImport.format.no')}</td>
                  <td>{LINE_COLUMNS.includes(c) ? t('csvImport.format.levelLine') : t('csvImport.format.levelOrder')}</td>
                  <td>{t(`csvImport.columns.${c}`, { list: DELIVERY_METHODS.join(', ') })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
