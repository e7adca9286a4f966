import { Link } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { Customer360 } from '../../modules/service/queries.server.ts';
import { DateTime, Money, StatusBadge } from '../format.tsx';

/** Everything the desk knows about the customer, beside the ticket: tier, value, orders with tracking, returns, payments, earlier tickets. */
export function Customer360Panel({ customer, canOrders }: { customer: Customer360; canOrders: boolean }) {
  const { t } = useTranslation();
  const orderLink = (id: number, number: string) => (canOrders ? <Link to={`/orders/${id}`}>{number}</Link> : number);
  return (
    <section className="card customer-360" data-testid="customer-360">
      <h2>
        <Link to={`/customers/${customer.id}`}>{customer.name}</Link>{' '}
        <span className={`badge tier-${customer.tier}`}>{t(`tiers.${customer.tier}`, { defaultValue: customer.tier })}</span>
      </h2>
      <p className="muted small">
        {customer.email}
        {customer.phone ? <> · {customer.phone}</> : null} · {t(`locales.${customer.locale}`, { defaultValue: customer.locale })}
      </p>
      <dl className="facts">
        <dt>{t('service.c360.ltv')}</dt>
        <dd>
          <Money minor={customer.stats.ltv} currency={customer.baseCurrency} />
        </dd>
        <dt>{t('service.c360.orders')}</dt>
        <dd>{customer.ordersTotal}</dd>
        <dt>{t('service.c360.since')}</dt>
        <dd>
          <DateTime value={customer.since} />
        </dd>
        {customer.tags.length ? (
          <>
            <dt>{t('service.fields.tags')}</dt>
            <dd>{customer.tags.join(', ')}</dd>
          </>
        ) : null}
      </dl>
      <h3>{t('service.c360.recentOrders')}</h3>
      <ul className="plain-list" data-testid="c360-orders">
        {customer.orders.map((o) => (
          <li key={o.id}>
            {orderLink(o.id, o.number)} <StatusBadge status={o.status} /> <Money minor={o.total} currency={o.currency} />
            {o.parcels.map((p) => (
              <div key={p.number} className="muted small">
                {p.carrier} ·{' '}
                {p.url ? (
                  <a href={p.url} target="_blank" rel="noopener noreferrer">
                    {p.number}
                  </a>
                ) : (
                  p.number
                )}{' '}
                · {t(`shipmentStatus.${p.status}`, { defaultValue: p.status })}
              </div>
            ))}
          </li>
        ))}
      </ul>
      {customer.returns.length ? (
        <>
          <h3>{t('service.c360.returns')}</h3>
          <ul className="plain-list">
            {customer.returns.map((r) => (
              <li key={r.id}>
                {r.number} · {orderLink(r.orderId, r.orderNumber)} · {t(`returnStatus.${r.status}`, { defaultValue: r.status })} ·{' '}
                {t(`returnReasons.${r.reason}`, { defaultValue: r.reason })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {customer.payments.length ? (
        <>
          <h3>{t('service.c360.payments')}</h3>
          <ul className="plain-list">
            {customer.payments.map((p) => (
              <li key={p.id}>
                {orderLink(p.orderId, p.orderNumber)} · {p.provider} · <Money minor={p.captured} currency={p.currency} />
                {p.refunded ? (
                  <>
                    {' '}
                    · {t('service.c360.refunded')} <Money minor={p.refunded} currency={p.currency} />
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {customer.tickets.length > 1 ? (
        <>
          <h3>{t('service.c360.tickets')}</h3>
          <ul className="plain-list">
            {customer.tickets.map((x) => (
              <li key={x.id}>
                <Link to={`/service/${x.id}`}>{x.number}</Link> {x.subject} · {t(`ticketStatus.${x.status}`)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
