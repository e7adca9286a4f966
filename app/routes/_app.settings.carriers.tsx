import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { assertCsrf, requireUser, userActor } from '../lib/auth.server.ts';
import { can } from '../lib/permissions.ts';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatNumber } from '../lib/format.ts';
import type { CarrierRule } from '../modules/fulfilment/planning.ts';
import { carrierFromForm, getCarrier, listCarriers, previewCarrier, saveCarrier, type CarrierChoice } from '../modules/settings/carriers.server.ts';
import { MAX_RULES, RULE_SERVICE_LEVELS } from '../modules/settings/form.ts';
import { CsrfInput } from '../components/csrf.tsx';
import { FieldErrorText } from '../components/field-error.tsx';
import { useRootData } from '../root.tsx';

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context, 'settings.view');
  const url = new URL(request.url);
  const em = context.orm.em.fork();
  const code = url.searchParams.get('code');
  const canManage = can(user.role, 'settings.manage');
  const carriers = await listCarriers(em);
  const selected = code && code !== 'new' ? await getCarrier(em, code) : null;
  if (code && code !== 'new' && !selected) throw new Response(null, { status: 404 });
  if (code === 'new' && !canManage) throw new Response(null, { status: 403 });
  // The rule tester: a GET form, so it reads only.
  let test: { choice: CarrierChoice; errors?: undefined } | { choice?: undefined; errors: FieldError[] } | null = null;
  if (url.searchParams.has('country')) {
    const raw = { country: url.searchParams.get('country') ?? '', weightGrams: url.searchParams.get('weight') ?? '', serviceLevel: url.searchParams.get('level') ?? '' };
    try {
      test = { choice: (await previewCarrier(em, raw)).choice };
    } catch (e) {
      if (!(e instanceof DomainError) || !e.errors) throw e;
      test = { errors: e.errors };
    }
  }
  return { carriers, selected, creating: code === 'new', canManage, test };
}

type ActionData = { errors?: FieldError[] };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request, context, 'settings.manage');
  const form = await request.formData();
  assertCsrf(request, form);
  const carrier = form.get('carrier');
  try {
    const r = await saveCarrier(context.orm, typeof carrier === 'string' && carrier ? carrier : null, carrierFromForm(form), userActor(user, context.ip));
    const outcome = r.created ? 'created' : r.changed.length ? 'saved' : 'unchanged';
    return redirect(`/settings/carriers?code=${encodeURIComponent(r.carrier.code)}&done=${outcome}`);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.status === 404) throw new Response(null, { status: 404 });
    return data<ActionData>({ errors: e.errors ?? [{ field: '_', code: e.code, messageKey: `errors.${e.code}`, params: e.params }] }, { status: e.status });
  }
}

/** One rule as the form edits it (every field text, as typed). */
interface RuleRow { key: number; service: string; serviceLevels: string[]; countries: string; maxWeightGrams: string; priority: string }

const toRuleRow = (r: CarrierRule, key: number): RuleRow => ({
  key, service: r.service, serviceLevels: r.serviceLevels, countries: (r.countries ?? []).join(', '),
  maxWeightGrams: r.maxWeightGrams === undefined ? '' : String(r.maxWeightGrams), priority: String(r.priority),
});
const blankRule = (key: number, priority: number): RuleRow => ({ key, service: '', serviceLevels: ['standard'], countries: '', maxWeightGrams: '', priority: String(priority) });

function RulesEditor({ initial, errors, disabled }: { initial: CarrierRule[]; errors?: FieldError[]; disabled: boolean }) {
  const { t } = useTranslation();
  const [rows, setRows] = useState<RuleRow[]>(() => (initial.length ? initial.map(toRuleRow) : [blankRule(0, 10)]));
  const [next, setNext] = useState(rows.length);
  const err = (i: number, field: string) => errors?.find((e) => e.field === `rules.${i}.${field}`);
  const add = () => {
    const top = Math.max(0, ...rows.map((r) => Number(r.priority) || 0));
    setRows([...rows, blankRule(next, top + 10)]);
    setNext(next + 1);
  };
  return (
    <>
      <div className="table-wrap">
        <table className="data-table rules-table" data-testid="rules-table">
          <thead>
            <tr>
              <th>{t('carrierSettings.priority')}</th><th>{t('carrierSettings.service')}</th><th>{t('carrierSettings.serviceLevels')}</th>
              <th>{t('carrierSettings.countries')}</th><th>{t('carrierSettings.maxWeight')}</th><th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.key} data-testid="rule-row">
                <td>
                  <input name={`rules.${i}.priority`} defaultValue={r.priority} inputMode="numeric" aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.priority') })} />
                  <FieldErrorText error={err(i, 'priority')} />
                </td>
                <td>
                  <input name={`rules.${i}.service`} defaultValue={r.service} maxLength={60} aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.service') })} />
                  <FieldErrorText error={err(i, 'service')} />
                </td>
                <td>
                  <div className="levels">
                    {RULE_SERVICE_LEVELS.map((l) => (
                      <label key={l}><input type="checkbox" name={`rules.${i}.serviceLevels`} value={l} defaultChecked={r.serviceLevels.includes(l)} /> {t(`deliveryMethods.${l}`)}</label>
                    ))}
                  </div>
                  <FieldErrorText error={err(i, 'serviceLevels')} />
                </td>
                <td>
                  <input name={`rules.${i}.countries`} defaultValue={r.countries} placeholder={t('carrierSettings.anywhere')} aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.countries') })} />
                  <FieldErrorText error={err(i, 'countries')} />
                </td>
                <td>
                  <input name={`rules.${i}.maxWeightGrams`} defaultValue={r.maxWeightGrams} inputMode="numeric" placeholder={t('carrierSettings.noLimit')} aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.maxWeight') })} />
                  <FieldErrorText error={err(i, 'maxWeightGrams')} />
                </td>
                <td>{disabled ? null : <button type="button" className="link-button" onClick={() => setRows(rows.filter((x) => x.key !== r.key))}>{t('carrierSettings.removeRule')}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length ? null : <p className="muted">{t('carrierSettings.noRules')}</p>}
      {disabled || rows.length >= MAX_RULES ? null : <button type="button" className="spaced" onClick={add} data-testid="rule-add">{t('carrierSettings.addRule')}</button>}
      <p className="muted small">{t('carrierSettings.rulesHint')}</p>
    </>
  );
}

export default function Carriers() {
  const { carriers, selected, creating, canManage, test } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t } = useTranslation();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const locale = useRootData()?.locale ?? 'en';
  const done = params.get('done');
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const testErr = (field: string) => test?.errors?.find((e) => e.field === field);
  const summary = (r: CarrierRule) => [
    r.service,
    r.serviceLevels.map((l) => t(`deliveryMethods.${l}`)).join(' / '),
    r.countries?.length ? r.countries.join(', ') : t('carrierSettings.anywhere'),
    r.maxWeightGrams === undefined ? null : t('carrierSettings.upTo', { weight: formatNumber(r.maxWeightGrams, locale) }),
  ].filter(Boolean).join(' · ');
  // Errors of fields the edit form shows beside them; any other (or with no form open) above it.
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && /^(code|name|trackingUrlTemplate|active|rules\.\d+\.\w+)$/.test(e.field))) ?? [];

  return (
    <>
      <div className="page-head">
        <h1 className="page-title">{t('carrierSettings.title')}</h1>
        {canManage && !creating ? <Link className="button primary" to="?code=new" data-testid="carrier-add">{t('carrierSettings.add')}</Link> : null}
      </div>
      <p className="muted">{t('carrierSettings.intro')}</p>
      {unplaced.map((e) => <p key={e.field} className="form-error" role="alert">{t(e.messageKey, e.params)}</p>)}
      {done && selected ? (
        <p className="notice success" role="status" data-testid="carrier-saved">{t(`carrierSettings.done.${done === 'created' ? 'created' : done === 'saved' ? 'saved' : 'unchanged'}`, { name: selected.name })}</p>
      ) : null}

      <div className="table-wrap">
        <table className="data-table" data-testid="carriers-table">
          <thead>
            <tr><th>{t('carrierSettings.name')}</th><th>{t('carrierSettings.code')}</th><th>{t('carrierSettings.rules')}</th><th className="num">{t('carrierSettings.shipments')}</th><th /></tr>
          </thead>
          <tbody>
            {carriers.map((c) => (
              <tr key={c.code} data-testid="carrier-row" data-code={c.code}>
                <td>{c.name}{c.active ? null : <span className="badge">{t('carrierSettings.inactive')}</span>}</td>
                <td><code>{c.code}</code></td>
                <td>
                  {c.rules.length ? (
                    <ol className="address-list">
                      {[...c.rules].sort((a, b) => a.priority - b.priority).map((r, i) => <li key={i}><span className="muted">{r.priority}</span> {summary(r)}</li>)}
                    </ol>
                  ) : <span className="muted">{t('carrierSettings.noRules')}</span>}
                </td>
                <td className="num">{formatNumber(c.shipments, locale)}</td>
                <td><Link to={`?code=${encodeURIComponent(c.code)}`}>{canManage ? t('carrierSettings.edit') : t('carrierSettings.view')}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {editing ? (
        <section className="card spaced" data-testid="carrier-form-card">
          <h2>{creating ? t('carrierSettings.newTitle') : t('carrierSettings.editTitle', { name: selected!.name })}</h2>
          <Form method="post" key={creating ? 'new' : JSON.stringify(selected)} data-testid="carrier-form">
            <CsrfInput />
            <input type="hidden" name="carrier" value={selected?.code ?? ''} />
            <fieldset className="plain" disabled={!canManage}>
              <div className="form-grid">
                {creating ? (
                  <label className="field"><span>{t('carrierSettings.code')}</span>
                    <input name="code" required maxLength={20} placeholder={t('carrierSettings.codeHint')} /><FieldErrorText error={err('code')} /></label>
                ) : null}
                <label className="field"><span>{t('carrierSettings.name')}</span>
                  <input name="name" required maxLength={100} defaultValue={selected?.name} /><FieldErrorText error={err('name')} /></label>
                <label className="field grow"><span>{t('carrierSettings.trackingUrlTemplate')}</span>
                  <input name="trackingUrlTemplate" required maxLength={255} defaultValue={selected?.trackingUrlTemplate} placeholder={t('carrierSettings.trackingUrlHint')} />
                  <FieldErrorText error={err('trackingUrlTemplate')} /></label>
              </div>
              <label className="inline-actions">
                <input type="checkbox" name="active" defaultChecked={selected?.active ?? true} />
                <span>{t('carrierSettings.active')}</span>
              </label>
              <p className="muted small">{t('carrierSettings.activeHint')}</p>
              <FieldErrorText error={err('active')} />
              <h2 className="spaced">{t('carrierSettings.rules')}</h2>
              <p className="muted">{t('carrierSettings.rulesIntro')}</p>
              <RulesEditor initial={selected?.rules ?? []} errors={result?.errors} disabled={!canManage} />
              {canManage ? (
                <div className="inline-actions spaced">
                  <button type="submit" className="primary" disabled={navigation.state !== 'idle'}>{creating ? t('carrierSettings.create') : t('carrierSettings.save')}</button>
                  <Link to="/settings/carriers">{t('carrierSettings.cancel')}</Link>
                </div>
              ) : null}
            </fieldset>
          </Form>
        </section>
      ) : null}

      <section className="card spaced" data-testid="carrier-test">
        <h2>{t('carrierSettings.testTitle')}</h2>
        <p className="muted">{t('carrierSettings.testIntro')}</p>
        <Form method="get" className="filters plain">
          {selected ? <input type="hidden" name="code" value={selected.code} /> : null}
          <label className="field"><span>{t('carrierSettings.testCountry')}</span>
            <input name="country" required maxLength={2} defaultValue={params.get('country') ?? ''} placeholder={t('carrierSettings.testCountryHint')} autoCapitalize="characters" />
            <FieldErrorText error={testErr('country')} /></label>
          <label className="field"><span>{t('carrierSettings.testWeight')}</span>
            <input name="weight" required inputMode="numeric" defaultValue={params.get('weight') ?? ''} />
            <FieldErrorText error={testErr('weightGrams')} /></label>
          <label className="field"><span>{t('carrierSettings.testLevel')}</span>
            <select name="level" defaultValue={params.get('level') ?? 'standard'}>
              {RULE_SERVICE_LEVELS.map((l) => <option key={l} value={l}>{t(`deliveryMethods.${l}`)}</option>)}
            </select>
            <FieldErrorText error={testErr('serviceLevel')} /></label>
          <button type="submit">{t('carrierSettings.test')}</button>
        </Form>
        {test && !test.errors ? (
          <p className={`notice ${test.choice ? 'success' : 'warning'}`} role="status" data-testid="carrier-test-result">
            {test.choice
              ? t('carrierSettings.testChose', { carrier: test.choice.carrier.name, service: test.choice.service })
              : t('carrierSettings.testNone')}
          </p>
        ) : null}
      </section>
    </>
  );
}
