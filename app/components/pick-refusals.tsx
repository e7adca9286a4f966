import { Link } from '@remix-run/react';
import { useTranslation } from 'react-i18next';

export interface PickRefusalView {
  orderId: number;
  number: string | null;
  reason: string;
  status: string | null;
  pickLists?: string[];
}

/** Orders that got no pick list, each with the reason (orders list, printable pick lists). */
export function PickRefusals({ refused }: { refused: PickRefusalView[] }) {
  const { t } = useTranslation();
  if (!refused.length) return null;
  return (
    <ul className="refusals" data-testid="pick-refusals">
      {refused.map((r) => (
        <li key={r.orderId} data-order={r.number ?? r.orderId}>
          {r.number ? <Link to={`/orders/${r.orderId}`}>{r.number}</Link> : <span>#{r.orderId}</span>}
          {': '}
          {t(`pickRefusals.${r.reason}`, { status: r.status ? t(`orderStatus.${r.status}`) : '', lists: r.pickLists?.join(', ') ?? '' })}
        </li>
      ))}
    </ul>
  );
}
