import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FieldError } from '../lib/problem.ts';
import { FieldErrorText } from './field-error.tsx';

/** The translation keys of a return form's labels (the customer's tracking page and the agent's order page word them differently). */
export interface ReturnLineKeys {
  quantityOf: string;
  resolutionOf: string;
  refund: string;
  exchange: string;
  sameItem: string;
  replacementOf: string;
}

/**
 * One returnable line of a return form: how many come back, a refund or an exchange, and for an exchange
 * the replacement (empty: the same product), with each field's error. Posts `sku`, `quantity`,
 * `resolution` and `replacementSku` per line, in line order.
 */
export function ReturnLine({
  line,
  index,
  options,
  errors,
  keys,
  listId,
}: {
  line: { sku: string; name: string; returnable: number };
  index: number;
  options: { sku: string; name: string }[];
  errors: FieldError[];
  keys: ReturnLineKeys;
  /** Prefix of the replacement suggestions' datalist id (unique on the page). */
  listId: string;
}) {
  const { t } = useTranslation();
  const replacementError = errors.find((e) => e.field === `lines.${index}.replacementSku`);
  const [resolution, setResolution] = useState<'refund' | 'exchange'>(replacementError ? 'exchange' : 'refund');
  return (
    <tr data-sku={line.sku}>
      <td>
        {line.name} <code className="muted">{line.sku}</code>
        <FieldErrorText error={errors.find((e) => e.field === `lines.${index}.sku`)} />
      </td>
      <td className="num">
        <input type="hidden" name="sku" value={line.sku} />
        <input
          type="number"
          name="quantity"
          min={0}
          max={line.returnable}
          defaultValue={0}
          className="qty"
          aria-label={t(keys.quantityOf, { name: line.name })}
        />
        <span className="muted"> / {line.returnable}</span>
        <FieldErrorText error={errors.find((e) => e.field === `lines.${index}.quantity`)} />
      </td>
      <td>
        <select
          name="resolution"
          value={resolution}
          onChange={(e) => setResolution(e.target.value === 'exchange' ? 'exchange' : 'refund')}
          aria-label={t(keys.resolutionOf, { name: line.name })}
        >
          <option value="refund">{t(keys.refund)}</option>
          <option value="exchange">{t(keys.exchange)}</option>
        </select>
        <FieldErrorText error={errors.find((e) => e.field === `lines.${index}.resolution`)} />
      </td>
      <td>
        <div hidden={resolution !== 'exchange'}>
          <input
            name="replacementSku"
            list={`${listId}-${index}`}
            maxLength={100}
            placeholder={t(keys.sameItem, { sku: line.sku })}
            aria-label={t(keys.replacementOf, { name: line.name })}
          />
          <datalist id={`${listId}-${index}`}>
            {options.map((o) => (
              <option key={o.sku} value={o.sku}>
                {o.name}
              </option>
            ))}
          </datalist>
          <FieldErrorText error={replacementError} />
        </div>
      </td>
    </tr>
  );
}
