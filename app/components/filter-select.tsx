import { useTranslation } from 'react-i18next';

/**
 * A list filter: a labelled select whose first option, empty, means all; the others are `[value, text]`
 * (or plain values shown as they are, such as channel and warehouse codes).
 */
export function FilterSelect({
  label,
  name,
  value,
  options,
}: {
  label: string;
  name: string;
  value: string | null | undefined;
  options: readonly (string | readonly [string, string])[];
}) {
  const { t } = useTranslation();
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} defaultValue={value ?? ''}>
        <option value="">{t('common.all')}</option>
        {options.map((o) => {
          const [v, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}
