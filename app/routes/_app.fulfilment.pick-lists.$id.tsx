import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Toast } from '../components/confirm-submit.tsx';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import { routeId } from '../lib/ids.ts';
import { confirmPick } from '../modules/fulfilment/service.server.ts';
import { pickList } from '../modules/fulfilment/queries.server.ts';
import { CsrfInput } from '../components/csrf.tsx';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'fulfilment.view');
  const list = await pickList(context.orm.em.fork(), routeId(params.id, 'pick list'));
  if (!list) throw new Response(null, { status: 404 });
  return { list, canPick: can(user.role, 'fulfilment.manage') };
}

type ActionData = { picked?: { sku: string; picked: number; of: number; done: boolean }; error?: { code: string; params?: Record<string, string | number> } };

/** One scan: confirms one unit of the scanned SKU or barcode. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'fulfilment.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const id = routeId(params.id, 'pick list');
  try {
    const r = await confirmPick(context.orm, id, String(form.get('code') ?? ''), userActor(user, context.ip));
    return data<ActionData>({ picked: r });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return data<ActionData>({ error: { code: e.code, params: e.params } }, { status: e.status });
  }
}

export default function PickListPage() {
  const { list, canPick } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const scan = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (navigation.state === 'idle' && scan.current) {
      scan.current.value = '';
      scan.current.focus();
    }
  }, [navigation.state]);
  const units = list.lines.reduce((n, l) => n + l.quantity, 0);
  const picked = list.lines.reduce((n, l) => n + l.picked, 0);
  const open = list.status === 'open' || list.status === 'picking';

  return (
    <>
      <p className="no-print">
        <Link to="/fulfilment">{t('fulfilment.back')}</Link>
      </p>
      <div className="page-head">
        <h1 className="page-title">
          {list.number} <span className="badge">{t(`pickStatus.${list.status}`)}</span>
        </h1>
        <button type="button" className="no-print" onClick={() => window.print()}>
          {t('fulfilment.print')}
        </button>
      </div>
      <p className="muted">
        {list.warehouse} · {t(`fulfilment.methods.${list.method}`)}
        {list.zone ? ` · ${t('fulfilment.zone', { zone: list.zone })}` : ''}
      </p>
      <p>
        <progress max={units} value={picked} data-testid="pick-progress" /> {t('fulfilment.pickedOf', { picked, units })}
      </p>
      {canPick && open ? (
        <Form method="post" className="filters plain no-print">
          <CsrfInput />
          <label className="field scanner grow">
            <span>{t('fulfilment.scan')}</span>
            <input ref={scan} name="code" autoFocus autoComplete="off" data-testid="pick-scanner" />
          </label>
          <button type="submit">{t('fulfilment.confirm')}</button>
        </Form>
      ) : null}
      {result?.picked ? <Toast>{t('fulfilment.pickedLine', result.picked)}</Toast> : null}
      {result?.error ? (
        <p className="form-error" role="alert">
          {t(`errors.${result.error.code}`, result.error.params)}
        </p>
      ) : null}
      <div className="table-wrap" tabIndex={0}>
        <table className="data-table" data-testid="pick-lines">
          <thead>
            <tr>
              <th>{t('fulfilment.bin')}</th>
              <th>{t('inventory.columns.sku')}</th>
              <th>{t('inventory.columns.product')}</th>
              <th>{t('orders.columns.number')}</th>
              <th className="num">{t('fulfilment.picked')}</th>
            </tr>
          </thead>
          <tbody>
            {list.lines.map((l) => (
              <tr key={l.id} className={l.picked === l.quantity ? 'done' : ''} data-sku={l.sku}>
                <td>
                  <strong>{l.bin ?? '—'}</strong>
                </td>
                <td>
                  <code>{l.sku}</code>
                  <div className="muted small">{l.barcode}</div>
                </td>
                <td>{l.name}</td>
                <td>
                  <Link to={`/orders/${l.orderId}`}>{l.orderNumber}</Link>
                </td>
                <td className="num">
                  {l.picked} / {l.quantity}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
