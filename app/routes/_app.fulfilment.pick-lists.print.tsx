import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { pickListsToPrint } from '../modules/fulfilment/queries.server.ts';
import { barcodeSvg } from '../modules/fulfilment/barcodes.server.ts';
import { parsePrintQuery } from '../modules/fulfilment/print.ts';
import { DateTime } from '../components/format.tsx';
import { PickRefusals } from '../components/pick-refusals.tsx';

/** Pick lists to print, one per sheet: lines in walking order (bin), each with a barcode the picker's scanner reads. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireUser(request, context, 'fulfilment.view');
  const query = parsePrintQuery(new URL(request.url).searchParams);
  const em = context.orm.em.fork();
  const found = query.ids.length ? await pickListsToPrint(em, query.ids) : [];
  // Ids that name no list (unknown, or no id at all) and no refusal to show: nothing here.
  if (!found.length && !query.refused?.length) throw new Response(null, { status: 404 });
  const lists = found.map((l) => ({
    ...l,
    barcode: barcodeSvg(l.number),
    orders: [...new Set(l.lines.map((x) => x.orderNumber))],
    lines: l.lines.map((x) => ({ ...x, barcodeSvg: barcodeSvg(x.barcode || x.sku) })),
  }));
  const refusedIds = query.refused?.map((r) => r.orderId) ?? [];
  const orders = refusedIds.length
    ? await em.execute<{ id: number; number: string; status: string }[]>('select id, number, status from sales_order where id in (?)', [refusedIds])
    : [];
  const refused = (query.refused ?? []).map((r) => {
    const o = orders.find((x) => Number(x.id) === r.orderId);
    return { orderId: r.orderId, reason: r.reason, number: o?.number ?? null, status: o?.status ?? null };
  });
  return { lists, refused };
}

/** An SVG drawn on the server by bwip-js from our own codes (no user markup). */
const Barcode = ({ svg, label }: { svg: string | null; label: string }) =>
  svg ? <span className="barcode" role="img" aria-label={label} dangerouslySetInnerHTML={{ __html: svg }} /> : null;

export default function PrintPickLists() {
  const { lists, refused } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <div className="print-pick-lists">
      <div className="page-head no-print">
        <h1 className="page-title">{t('fulfilment.printTitle', { count: lists.length })}</h1>
        <div className="inline-actions">
          <Link to="/orders" className="button">
            {t('orders.back')}
          </Link>
          <Link to="/fulfilment" className="button">
            {t('nav.fulfilment')}
          </Link>
          <button type="button" className="primary" onClick={() => window.print()} data-testid="print">
            {t('fulfilment.print')}
          </button>
        </div>
      </div>
      {refused.length ? (
        <div className="notice warning no-print" role="status" data-testid="print-refused">
          {t('fulfilment.printRefused', { count: refused.length })}
          <PickRefusals refused={refused} />
        </div>
      ) : null}
      {lists.length === 0 ? <p className="empty-state">{t('fulfilment.noLists')}</p> : null}
      {lists.map((l) => (
        <section key={l.id} className="print-sheet card" data-testid="print-sheet" data-list={l.number}>
          <header className="print-sheet-head">
            <div>
              <h2>{l.number}</h2>
              <p>
                <strong>{l.warehouse}</strong> · {t(`fulfilment.methods.${l.method}`)}
                {l.zone ? ` · ${t('fulfilment.zone', { zone: l.zone })}` : ''}
                {' · '}
                <DateTime value={l.createdAt} />
              </p>
              <p className="muted">
                {t('fulfilment.printOrders', { count: l.orders.length })}: {l.orders.join(', ')}
              </p>
            </div>
            <Barcode svg={l.barcode} label={l.number} />
          </header>
          <table className="data-table print-lines">
            <thead>
              <tr>
                <th>{t('fulfilment.picked')}</th>
                <th>{t('fulfilment.bin')}</th>
                <th>{t('inventory.columns.sku')}</th>
                <th>{t('inventory.columns.product')}</th>
                <th className="num">{t('orders.detail.quantity')}</th>
                <th>{t('orders.columns.number')}</th>
                <th>{t('fulfilment.barcode')}</th>
              </tr>
            </thead>
            <tbody>
              {l.lines.map((x) => (
                <tr key={x.id} data-sku={x.sku}>
                  <td>
                    <span className="tick-box" />
                  </td>
                  <td>
                    <strong>{x.bin ?? '—'}</strong>
                  </td>
                  <td>
                    <code>{x.sku}</code>
                  </td>
                  <td>{x.name}</td>
                  <td className="num strong">{x.quantity}</td>
                  <td>{x.orderNumber}</td>
                  <td>
                    <Barcode svg={x.barcodeSvg} label={x.barcode || x.sku} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            {t('fulfilment.printFooter', {
              lines: t('fulfilment.lineCount', { count: l.lines.length }),
              units: t('fulfilment.unitCount', { count: l.lines.reduce((n, x) => n + x.quantity, 0) }),
            })}
          </p>
        </section>
      ))}
    </div>
  );
}
