import { Form, Link, useNavigation, useSearchParams } from '@remix-run/react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Toast } from './confirm-submit.tsx';
import type { FieldError } from '../lib/problem.ts';
import { useRootData } from '../root.tsx';
import { CsrfInput } from './csrf.tsx';
import { FieldErrorText } from './field-error.tsx';

// The frame of the settings screens that list records and edit one (warehouses, carriers, channels):
// the head, the list, and the card with the edit form. Each screen gives the texts, already translated,
// and its own fields and columns.

/** What every such screen reads besides its data: `t`, the locale of figures, the URL's search params, `?done=` (what the last save did), and whether a post is under way. */
export function useSettingsScreen() {
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  return { t, params, locale: useRootData()?.locale ?? 'en', done: params.get('done'), busy: navigation.state !== 'idle' };
}

/**
 * The head of the screen: the title, with the link that opens the form for a new record when the
 * screen adds records (`add`, shown when `add.shown`), the intro, the errors no field of the form
 * shows, and the notice of the last save (`saved`).
 */
export function SettingsHead({
  title,
  intro,
  add,
  errors,
  saved,
}: {
  title: string;
  intro: string;
  add?: { label: string; testid: string; shown: boolean };
  errors: FieldError[];
  saved?: { text: string; testid: string } | null;
}) {
  const { t } = useTranslation();
  const heading = <h1 className="page-title">{title}</h1>;
  return (
    <>
      {add ? (
        <div className="page-head">
          {heading}
          {add.shown ? (
            <Link className="button primary" to="?code=new" data-testid={add.testid}>
              {add.label}
            </Link>
          ) : null}
        </div>
      ) : (
        heading
      )}
      <p className="muted">{intro}</p>
      {errors.map((e) => (
        <p key={e.field} className="form-error" role="alert">
          {t(e.messageKey, e.params)}
        </p>
      ))}
      {saved ? <Toast testId={saved.testid}>{saved.text}</Toast> : null}
    </>
  );
}

/** The list of records: `head` is the header row's cells, `children` the rows. */
export function SettingsTable({
  testid,
  className = 'data-table',
  head,
  children,
}: {
  testid: string;
  className?: string;
  head: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className={className} data-testid={testid}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The cell of a record's row that opens it in the edit form below the list. */
export function OpenRecordCell({ code, label }: { code: string; label: string }) {
  return (
    <td>
      <Link to={`?code=${encodeURIComponent(code)}`}>{label}</Link>
    </td>
  );
}

/** One labelled field of a form: the input (`children`), a hint under it, and the field's error. */
export function SettingsField({
  label,
  hint,
  error,
  className = 'field',
  children,
}: {
  label: string;
  hint?: string;
  error?: FieldError;
  className?: string;
  children: ReactNode;
}) {
  return (
    <label className={className}>
      <span>{label}</span>
      {children}
      {hint ? <span className="muted small">{hint}</span> : null}
      <FieldErrorText error={error} />
    </label>
  );
}

/**
 * The card that edits one record, or adds one: a post form carrying the CSRF token and `hidden`
 * fields, the record's fields (`children`) in a grid, its active switch, `more` (what else the record
 * holds), and for managers the submit button and the way back to the list. Other roles see every field
 * read-only. Give it a `key` of the record, so that a saved or other record starts from its own values.
 */
export function SettingsFormCard({
  testid,
  title,
  hidden,
  canManage,
  active,
  more,
  submit,
  cancel,
  children,
}: {
  /** The form's test id; the card's is `<testid>-card`. */
  testid: string;
  title: string;
  hidden: Record<string, string>;
  canManage: boolean;
  /** The record's on/off switch (posted as `active`); absent for records without one. */
  active?: { checked: boolean; label: string; hint: string; error?: FieldError };
  more?: ReactNode;
  submit: string;
  cancel: { to: string; label: string };
  children: ReactNode;
}) {
  const { busy } = useSettingsScreen();
  return (
    <section className="card spaced" data-testid={`${testid}-card`}>
      <h2>{title}</h2>
      <Form method="post" data-testid={testid}>
        <CsrfInput />
        {Object.entries(hidden).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <fieldset className="plain" disabled={!canManage}>
          <div className="form-grid">{children}</div>
          {active ? (
            <>
              <label className="inline-actions">
                <input type="checkbox" name="active" defaultChecked={active.checked} />
                <span>{active.label}</span>
              </label>
              <p className="muted small">{active.hint}</p>
              <FieldErrorText error={active.error} />
            </>
          ) : null}
          {more}
          {canManage ? (
            <div className="inline-actions spaced">
              <button type="submit" className="primary" disabled={busy}>
                {submit}
              </button>
              <Link to={cancel.to}>{cancel.label}</Link>
            </div>
          ) : null}
        </fieldset>
      </Form>
    </section>
  );
}
