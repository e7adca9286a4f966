import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DomainError } from '../lib/errors.ts';
import type { FieldError } from '../lib/problem.ts';
import { formatMoney, formatNumber } from '../lib/format.ts';
import { currencyExponent } from '../lib/money.ts';
import type { CarrierRule } from '../modules/fulfilment/planning.ts';
import { carrierFromForm, getCarrier, listCarriers, previewCarrier, saveCarrier, type CarrierChoice } from '../modules/settings/carriers.server.ts';
import { formTexts, MAX_RULES, readOutcome, RULE_SERVICE_LEVELS } from '../modules/settings/form.ts';
import { loadSettingsScreen, readSettingsPost, refusedPost, savedRedirect } from '../modules/settings/screen.server.ts';
import { FieldErrorText } from '../components/field-error.tsx';
import { OpenRecordCell, SettingsField, SettingsFormCard, SettingsHead, SettingsTable, useSettingsScreen } from '../components/settings-page.tsx';

export async function loader(args: LoaderFunctionArgs) {
  const { url, em, canManage, selected, creating } = await loadSettingsScreen(args, getCarrier, { canAdd: true });
  const carriers = await listCarriers(em);
  // The rule tester: a GET form, so it reads only.
  let test: { choice: CarrierChoice; errors?: undefined } | { choice?: undefined; errors: FieldError[] } | null = null;
  if (url.searchParams.has('country')) {
    const raw = {
      country: url.searchParams.get('country') ?? '',
      weightGrams: url.searchParams.get('weight') ?? '',
      serviceLevel: url.searchParams.get('level') ?? '',
    };
    try {
      test = { choice: (await previewCarrier(em, raw)).choice };
    } catch (e) {
      if (!(e instanceof DomainError) || !e.errors) throw e;
      test = { errors: e.errors };
    }
  }
  return { carriers, selected, creating, canManage, test, currency: args.context.config.BASE_CURRENCY };
}

type ActionData = { errors?: FieldError[] };

export async function action(args: ActionFunctionArgs) {
  const { form, actor } = await readSettingsPost(args);
  try {
    const r = await saveCarrier(args.context.orm, formTexts(form, ['carrier']).carrier || null, carrierFromForm(form), actor);
    return savedRedirect('/settings/carriers', r.carrier.code, r);
  } catch (e) {
    return refusedPost(e, {});
  }
}

/** One rule as the form edits it (every field text, as typed). */
interface RuleRow {
  key: number;
  service: string;
  serviceLevels: string[];
  countries: string;
  maxWeightGrams: string;
  priority: string;
  /** The rate, in the base currency's major units as typed. */
  cost: string;
  costPerKg: string;
}

const toRuleRow = (r: CarrierRule, key: number, exponent: number): RuleRow => ({
  key,
  service: r.service,
  serviceLevels: r.serviceLevels,
  countries: (r.countries ?? []).join(', '),
  maxWeightGrams: r.maxWeightGrams === undefined ? '' : String(r.maxWeightGrams),
  priority: String(r.priority),
  cost: r.costMinor === undefined ? '' : String(r.costMinor / 10 ** exponent),
  costPerKg: r.costPerKgMinor === undefined ? '' : String(r.costPerKgMinor / 10 ** exponent),
});
const blankRule = (key: number, priority: number): RuleRow => ({
  key,
  service: '',
  serviceLevels: ['standard'],
  countries: '',
  maxWeightGrams: '',
  priority: String(priority),
  cost: '',
  costPerKg: '',
});

function RulesEditor({ initial, errors, disabled, currency }: { initial: CarrierRule[]; errors?: FieldError[]; disabled: boolean; currency: string }) {
  const { t } = useTranslation();
  const exponent = currencyExponent(currency);
  const [rows, setRows] = useState<RuleRow[]>(() => (initial.length ? initial.map((r, i) => toRuleRow(r, i, exponent)) : [blankRule(0, 10)]));
  const [next, setNext] = useState(rows.length);
  const err = (i: number, field: string) => errors?.find((e) => e.field === `rules.${i}.${field}`);
  const add = () => {
    const top = Math.max(0, ...rows.map((r) => Number(r.priority) || 0));
    setRows([...rows, blankRule(next, top + 10)]);
    setNext(next + 1);
  };
  return (
    <>
      <SettingsTable
        testid="rules-table"
        className="data-table rules-table"
        head={
          <>
            <th>{t('carrierSettings.priority')}</th>
            <th>{t('carrierSettings.service')}</th>
            <th>{t('carrierSettings.serviceLevels')}</th>
            <th>{t('carrierSettings.countries')}</th>
            <th>{t('carrierSettings.maxWeight')}</th>
            <th>{t('carrierSettings.cost', { currency })}</th>
            <th>{t('carrierSettings.costPerKg', { currency })}</th>
            <th />
          </>
        }
      >
        {rows.map((r, i) => (
          <tr key={r.key} data-testid="rule-row">
            <td>
              <input
                name={`rules.${i}.priority`}
                defaultValue={r.priority}
                inputMode="numeric"
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.priority') })}
              />
              <FieldErrorText error={err(i, 'priority')} />
            </td>
            <td>
              <input
                name={`rules.${i}.service`}
                defaultValue={r.service}
                maxLength={60}
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.service') })}
              />
              <FieldErrorText error={err(i, 'service')} />
            </td>
            <td>
              <div className="levels">
                {RULE_SERVICE_LEVELS.map((l) => (
                  <label key={l}>
                    <input type="checkbox" name={`rules.${i}.serviceLevels`} value={l} defaultChecked={r.serviceLevels.includes(l)} />{' '}
                    {t(`deliveryMethods.${l}`)}
                  </label>
                ))}
              </div>
              <FieldErrorText error={err(i, 'serviceLevels')} />
            </td>
            <td>
              <input
                name={`rules.${i}.countries`}
                defaultValue={r.countries}
                placeholder={t('carrierSettings.anywhere')}
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.countries') })}
              />
              <FieldErrorText error={err(i, 'countries')} />
            </td>
            <td>
              <input
                name={`rules.${i}.maxWeightGrams`}
                defaultValue={r.maxWeightGrams}
                inputMode="numeric"
                placeholder={t('carrierSettings.noLimit')}
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.maxWeight') })}
              />
              <FieldErrorText error={err(i, 'maxWeightGrams')} />
            </td>
            <td>
              <input
                name={`rules.${i}.cost`}
                defaultValue={r.cost}
                inputMode="decimal"
                placeholder={t('carrierSettings.noRate')}
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.cost', { currency }) })}
              />
              <FieldErrorText error={err(i, 'cost')} />
            </td>
            <td>
              <input
                name={`rules.${i}.costPerKg`}
                defaultValue={r.costPerKg}
                inputMode="decimal"
                placeholder={t('carrierSettings.noRate')}
                aria-label={t('carrierSettings.ruleField', { row: i + 1, field: t('carrierSettings.costPerKg', { currency }) })}
              />
              <FieldErrorText error={err(i, 'costPerKg')} />
            </td>
            <td>
              {disabled ? null : (
                <button type="button" className="link-button" onClick={() => setRows(rows.filter((x) => x.key !== r.key))}>
                  {t('carrierSettings.removeRule')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </SettingsTable>
      {rows.length ? null : <p className="muted">{t('carrierSettings.noRules')}</p>}
      {disabled || rows.length >= MAX_RULES ? null : (
        <button type="button" className="spaced" onClick={add} data-testid="rule-add">
          {t('carrierSettings.addRule')}
        </button>
      )}
      <p className="muted small">{t('carrierSettings.rulesHint')}</p>
    </>
  );
}

export default function Carriers() {
  const { carriers, selected, creating, canManage, test, currency } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const { t, params, locale, done } = useSettingsScreen();
  const err = (field: string) => result?.errors?.find((e) => e.field === field);
  const testErr = (field: string) => test?.errors?.find((e) => e.field === field);
  const summary = (r: CarrierRule) =>
    [
      r.service,
      r.serviceLevels.map((l) => t(`deliveryMethods.${l}`)).join(' / '),
      r.countries?.length ? r.countries.join(', ') : t('carrierSettings.anywhere'),
      r.maxWeightGrams === undefined ? null : t('carrierSettings.upTo', { weight: formatNumber(r.maxWeightGrams, locale) }),
      r.costMinor === undefined && r.costPerKgMinor === undefined
        ? null
        : t('carrierSettings.rate', { cost: formatMoney(r.costMinor ?? 0, currency, locale), perKg: formatMoney(r.costPerKgMinor ?? 0, currency, locale) }),
    ]
      .filter(Boolean)
      .join(' · ');
  // Errors of fields the edit form shows beside them; any other (or with no form open) above it.
  const editing = creating || selected;
  const unplaced = result?.errors?.filter((e) => !(editing && /^(code|name|trackingUrlTemplate|active|rules\.\d+\.\w+)$/.test(e.field))) ?? [];

  return (
    <>
      <SettingsHead
        title={t('carrierSettings.title')}
        intro={t('carrierSettings.intro')}
        errors={unplaced}
        add={{ label: t('carrierSettings.add'), testid: 'carrier-add', shown: canManage && !creating }}
        saved={done && selected ? { testid: 'carrier-saved', text: t(`carrierSettings.done.${readOutcome(done)}`, { name: selected.name }) } : null}
      />

      <SettingsTable
        testid="carriers-table"
        head={
          <>
            <th>{t('carrierSettings.name')}</th>
            <th>{t('carrierSettings.code')}</th>
            <th>{t('carrierSettings.rules')}</th>
            <th className="num">{t('carrierSettings.shipments')}</th>
            <th />
          </>
        }
      >
        {carriers.map((c) => (
          <tr key={c.code} data-testid="carrier-row" data-code={c.code}>
            <td>
              {c.name}
              {c.active ? null : <span className="badge">{t('carrierSettings.inactive')}</span>}
            </td>
            <td>
              <code>{c.code}</code>
            </td>
            <td>
              {c.rules.length ? (
                <ol className="address-list">
                  {[...c.rules]
                    .sort((a, b) => a.priority - b.priority)
                    .map((r, i) => (
                      <li key={i}>
                        <span className="muted">{r.priority}</span> {summary(r)}
                      </li>
                    ))}
                </ol>
              ) : (
                <span className="muted">{t('carrierSettings.noRules')}</span>
              )}
            </td>
            <td className="num">{formatNumber(c.shipments, locale)}</td>
            <OpenRecordCell code={c.code} label={canManage ? t('carrierSettings.edit') : t('carrierSettings.view')} />
          </tr>
        ))}
      </SettingsTable>

      {editing ? (
        <SettingsFormCard
          key={creating ? 'new' : JSON.stringify(selected)}
          testid="carrier-form"
          canManage={canManage}
          hidden={{ carrier: selected?.code ?? '' }}
          title={creating ? t('carrierSettings.newTitle') : t('carrierSettings.editTitle', { name: selected!.name })}
          active={{ checked: selected?.active ?? true, label: t('carrierSettings.active'), hint: t('carrierSettings.activeHint'), error: err('active') }}
          more={
            <>
              <h2 className="spaced">{t('carrierSettings.rules')}</h2>
              <p className="muted">{t('carrierSettings.rulesIntro')}</p>
              <RulesEditor initial={selected?.rules ?? []} errors={result?.errors} disabled={!canManage} currency={currency} />
            </>
          }
          submit={creating ? t('carrierSettings.create') : t('carrierSettings.save')}
          cancel={{ to: '/settings/carriers', label: t('carrierSettings.cancel') }}
        >
          {creating ? (
            <SettingsField label={t('carrierSettings.code')} error={err('code')}>
              <input name="code" required maxLength={20} placeholder={t('carrierSettings.codeHint')} />
            </SettingsField>
          ) : null}
          <SettingsField label={t('carrierSettings.name')} error={err('name')}>
            <input name="name" required maxLength={100} defaultValue={selected?.name} />
          </SettingsField>
          <SettingsField className="field grow" label={t('carrierSettings.trackingUrlTemplate')} error={err('trackingUrlTemplate')}>
            <input
              name="trackingUrlTemplate"
              required
              maxLength={255}
              defaultValue={selected?.trackingUrlTemplate}
              placeholder={t('carrierSettings.trackingUrlHint')}
            />
          </SettingsField>
        </SettingsFormCard>
      ) : null}

      <section className="card spaced" data-testid="carrier-test">
        <h2>{t('carrierSettings.testTitle')}</h2>
        <p className="muted">{t('carrierSettings.testIntro')}</p>
        <Form method="get" className="filters plain">
          {selected ? <input type="hidden" name="code" value={selected.code} /> : null}
          <SettingsField label={t('carrierSettings.testCountry')} error={testErr('country')}>
            <input
              name="country"
              required
              maxLength={2}
              defaultValue={params.get('country') ?? ''}
              placeholder={t('carrierSettings.testCountryHint')}
              autoCapitalize="characters"
            />
          </SettingsField>
          <SettingsField label={t('carrierSettings.testWeight')} error={testErr('weightGrams')}>
            <input name="weight" required inputMode="numeric" defaultValue={params.get('weight') ?? ''} />
          </SettingsField>
          <SettingsField label={t('carrierSettings.testLevel')} error={testErr('serviceLevel')}>
            <select name="level" defaultValue={params.get('level') ?? 'standard'}>
              {RULE_SERVICE_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {t(`deliveryMethods.${l}`)}
                </option>
              ))}
            </select>
          </SettingsField>
          <button type="submit">{t('carrierSettings.test')}</button>
        </Form>
        {test && !test.errors ? (
          <p className={`notice ${test.choice ? 'success' : 'warning'}`} role="status" data-testid="carrier-test-result">
            {test.choice ? t('carrierSettings.testChose', { carrier: test.choice.carrier.name, service: test.choice.service }) : t('carrierSettings.testNone')}
          </p>
        ) : null}
      </section>
    </>
  );
}
