import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createI18n, LOCALES } from '../../lib/i18n.ts';
import { BinInput, NewWarehouseInput } from './warehouses.server.ts';
import { NewCarrierInput, ParcelInput } from './carriers.server.ts';
import { ChannelInput } from './channels.server.ts';
import { formErrors, formTexts, isCountry, readOutcome, saveOutcome, toCodeList, toNumber } from './form.ts';

const errorsOf = (schema: z.ZodType, ns: string, raw: Record<string, unknown>) => {
  const r = schema.safeParse(raw);
  if (r.success) throw new Error(`accepted ${JSON.stringify(raw)}`);
  return formErrors(r.error, ns, raw);
};

/** Every error names a field, has a sentence in each language, and fills each of its placeholders. */
function expectTranslated(errors: ReturnType<typeof formErrors>) {
  expect(errors.length).toBeGreaterThan(0);
  for (const locale of LOCALES) {
    const i18n = createI18n(locale);
    for (const e of errors) {
      expect(i18n.exists(e.messageKey), `${locale}: ${e.messageKey}`).toBe(true);
      const text = i18n.t(e.messageKey, e.params);
      expect(text, `${locale}: ${e.messageKey}`).not.toMatch(/\{\{\w+\}\}/);
    }
  }
}

const warehouse = {
  code: 'lax-1',
  name: 'Los Angeles DC',
  line1: '1 Dock Rd',
  city: 'Los Angeles',
  postalCode: '',
  country: 'us',
  lat: '34.05',
  lng: '-118.24',
  active: true,
  pickMethod: 'zone',
  pickBatchSize: '12',
};
const rule = { service: 'Ground', serviceLevels: ['standard'], countries: 'us, ca', maxWeightGrams: '', priority: '10' };
const carrier = { code: 'FedEx', name: 'FedEx', trackingUrlTemplate: 'https://www.fedex.com/fedextrack/?trknbr={tracking}', active: true, rules: [rule] };

describe('settings form parsing', () => {
  it('reads form strings into values: numbers, code lists, countries', () => {
    expect([toNumber('12.5'), toNumber(' -74 '), toNumber(''), toNumber(undefined), toNumber('1e3'), toNumber('0x10'), toNumber('12abc')]).toEqual([
      12.5,
      -74,
      undefined,
      undefined,
      NaN,
      NaN,
      NaN,
    ]);
    expect(toCodeList('us, CA  mx;us')).toEqual(['US', 'CA', 'MX']);
    expect(toCodeList('')).toEqual([]);
    expect(['US', 'GB', 'TW', 'CN', 'HK'].every(isCountry)).toBe(true);
    expect(['UK', 'EU', 'XX', 'ZZ', 'us', 'USA', ''].some(isCountry)).toBe(false);
  });

  it("reads a posted form's text fields, and says what a save did as its redirect and notice do", () => {
    const form = new FormData();
    form.set('name', ' Reno ');
    form.set('lat', '');
    form.set('file', new Blob(['x']));
    expect(formTexts(form, ['name', 'lat', 'file', 'absent'])).toEqual({ name: ' Reno ', lat: '', file: undefined, absent: undefined });
    expect([saveOutcome({ created: true, changed: [] }), saveOutcome({ changed: ['name'] }), saveOutcome({ created: false, changed: [] })]).toEqual([
      'created',
      'saved',
      'unchanged',
    ]);
    expect(['created', 'saved', 'unchanged', 'other', ''].map(readOutcome)).toEqual(['created', 'saved', 'unchanged', 'unchanged', 'unchanged']);
  });

  it('accepts good input, normalised', () => {
    expect(NewWarehouseInput.parse(warehouse)).toMatchObject({
      code: 'LAX-1',
      country: 'US',
      lat: 34.05,
      lng: -118.24,
      pickBatchSize: 12,
      postalCode: undefined,
    });
    expect(NewCarrierInput.parse(carrier)).toMatchObject({ code: 'fedex', rules: [{ countries: ['US', 'CA'], maxWeightGrams: undefined, priority: 10 }] });
    expect(ChannelInput.parse({ name: 'Web', kind: 'web', currencies: 'usd eur', adapter: '', active: false })).toEqual({
      name: 'Web',
      kind: 'web',
      currencies: ['USD', 'EUR'],
      adapter: undefined,
      active: false,
    });
  });

  it('refuses each bad warehouse field with its own translated sentence', () => {
    const errors = errorsOf(NewWarehouseInput, 'warehouseSettings', {
      ...warehouse,
      code: 'x',
      name: '',
      line1: ' ',
      city: 'c'.repeat(101),
      country: 'UK',
      lat: '91',
      lng: 'east',
      pickMethod: 'telepathy',
      pickBatchSize: '0',
      postalCode: '1'.repeat(21),
    });
    expect(errors.map((e) => [e.field, e.messageKey])).toEqual([
      ['name', 'warehouseSettings.errors.nameRequired'],
      ['line1', 'warehouseSettings.errors.line1Required'],
      ['city', 'warehouseSettings.errors.cityTooLong'],
      ['postalCode', 'warehouseSettings.errors.postalCodeTooLong'],
      ['country', 'warehouseSettings.errors.countryInvalid'],
      ['lat', 'warehouseSettings.errors.latRange'],
      ['lng', 'warehouseSettings.errors.lngRange'],
      ['pickMethod', 'warehouseSettings.errors.pickMethodInvalid'],
      ['pickBatchSize', 'warehouseSettings.errors.pickBatchSizeRange'],
      ['code', 'warehouseSettings.errors.codeFormat'],
    ]);
    expect(errors.find((e) => e.field === 'lng')!.params).toEqual({ value: 'east' });
    expectTranslated(errors);
    expect(createI18n('en').t(errors.find((e) => e.field === 'lat')!.messageKey, errors.find((e) => e.field === 'lat')!.params)).toBe(
      'Latitude: enter a number from -90 to 90 (got “91”).',
    );
    expectTranslated(errorsOf(NewWarehouseInput, 'warehouseSettings', {}));
    expectTranslated(errorsOf(BinInput, 'warehouseSettings', { sku: '', bin: 'a b' }));
  });

  it('names the rule row and field of a bad carrier rule', () => {
    const errors = errorsOf(NewCarrierInput, 'carrierSettings', {
      ...carrier,
      trackingUrlTemplate: 'ftp://x/{tracking}',
      rules: [rule, { service: '', serviceLevels: [], countries: 'US, XX', maxWeightGrams: '-5', priority: 'high' }],
    });
    expect(errors.map((e) => [e.field, e.messageKey, e.params])).toEqual([
      ['trackingUrlTemplate', 'carrierSettings.errors.trackingUrl', { value: 'ftp://x/{tracking}' }],
      ['rules.1.service', 'carrierSettings.errors.ruleService', { value: '', row: 2 }],
      ['rules.1.serviceLevels', 'carrierSettings.errors.ruleLevels', { value: '', row: 2 }],
      ['rules.1.countries', 'carrierSettings.errors.ruleCountry', { value: 'XX', row: 2 }],
      ['rules.1.maxWeightGrams', 'carrierSettings.errors.ruleWeight', { value: '-5', row: 2 }],
      ['rules.1.priority', 'carrierSettings.errors.rulePriority', { value: 'high', row: 2 }],
    ]);
    expectTranslated(errors);
    expect(createI18n('zh-CN').t('carrierSettings.errors.rulePriority', errors[5].params)).toBe('规则 2，优先级：请输入 0 到 9999 之间的整数（收到“high”）。');
    expectTranslated(errorsOf(NewCarrierInput, 'carrierSettings', {}));
    expectTranslated(errorsOf(NewCarrierInput, 'carrierSettings', { ...carrier, code: '-', trackingUrlTemplate: 'https://x/', rules: Array(21).fill(rule) }));
    expectTranslated(errorsOf(ParcelInput, 'carrierSettings', { country: 'QQ', weightGrams: '0', serviceLevel: 'teleport' }));
  });

  it('refuses bad channel currencies by the code at fault', () => {
    const errors = errorsOf(ChannelInput, 'channelSettings', { name: 'Web', kind: 'kiosk', currencies: 'USD, XYZ', adapter: 'magento', active: true });
    expect(errors.map((e) => [e.field, e.messageKey, e.params?.value])).toEqual([
      ['kind', 'channelSettings.errors.kindInvalid', 'kiosk'],
      ['currencies', 'channelSettings.errors.currencyInvalid', 'XYZ'],
      ['adapter', 'channelSettings.errors.adapterInvalid', 'magento'],
    ]);
    expectTranslated(errors);
    expectTranslated(errorsOf(ChannelInput, 'channelSettings', {}));
    expectTranslated(errorsOf(ChannelInput, 'channelSettings', { name: 'Web', kind: 'web', currencies: ' ', active: 'yes' }));
  });
});
