import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../entities/constants.ts';
import { formatMoney } from '../../lib/format.ts';
import { renderStaffAlert, STAFF_ALERT_COPY, type StaffAlertInput } from './staff-mail.ts';
import { renderPurchaseOrder, renderPurchaseOrderCancellation, SUPPLIER_COPY, type PurchaseOrderMailInput } from './supplier-mail.ts';

const alert: StaffAlertInput = {
  recipientName: 'Olivia <Ops>',
  message: 'Refund failed for <b>RMA-1</b> & friends',
  severity: 'critical',
  sla: null,
  subject: 'SO-000042',
  promisedBy: null,
  workflowId: 'return-7',
  nodeId: 'alert_refund',
  raisedAt: '2026-03-05T12:00:00Z',
  runUrl: 'http://localhost:3000/workflows/runs/return-7',
};
const po: PurchaseOrderMailInput = {
  number: 'PO-ABC123',
  supplierName: 'Acme & Sons',
  currency: 'USD',
  expectedAt: '2026-04-01T12:00:00Z',
  buyer: 'Shop',
  warehouse: { code: 'EWR', name: 'Newark DC', line1: '1 Port St', city: 'Newark', postalCode: '07114', country: 'US' },
  lines: [
    { sku: 'SKU-1', name: 'Tea <pot>', quantity: 40, unitCostMinor: 1_250 },
    { sku: 'SKU-2', name: 'Cup', quantity: 10, unitCostMinor: 300 },
  ],
};

describe('staff alert mail', () => {
  it('has every sentence in every language', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(STAFF_ALERT_COPY[locale].labels).sort(), locale).toEqual(Object.keys(STAFF_ALERT_COPY.en.labels).sort());
      expect(Object.keys(STAFF_ALERT_COPY[locale].sla).sort(), locale).toEqual(['unprocessed', 'unshipped']);
    }
  });

  for (const locale of LOCALES) {
    it(`a flow's alert in ${locale}: its own text, escaped, with the run's link`, () => {
      const mail = renderStaffAlert(locale, alert, { timeZone: 'UTC' });
      expect(mail.subject).toContain(STAFF_ALERT_COPY[locale].severity.critical);
      expect(mail.subject).toContain('Refund failed for <b>RMA-1</b>');
      expect(mail.text).toContain('Refund failed for <b>RMA-1</b> & friends');
      expect(mail.html).toContain('Refund failed for &lt;b&gt;RMA-1&lt;/b&gt; &amp; friends');
      expect(mail.html).not.toContain('<Ops>');
      expect(mail.html).toContain(`<html lang="${locale}">`);
      expect(mail.html).toContain('href="http://localhost:3000/workflows/runs/return-7"');
      expect(mail.text).toContain('SO-000042');
    });
  }

  it('says an SLA breach in the reader’s language', () => {
    const sla = { ...alert, sla: 'unshipped' as const, message: 'SO-000042 is not shipped and is promised by 2026-03-06', promisedBy: '2026-03-06T12:00:00Z' };
    expect(renderStaffAlert('en', sla, { timeZone: 'UTC' }).subject).toBe('[Critical] SO-000042 has not shipped and is due soon');
    expect(renderStaffAlert('zh-CN', sla, { timeZone: 'UTC' }).subject).toBe('【严重】SO-000042 尚未发货，承诺日期将至');
    expect(renderStaffAlert('zh-TW', { ...sla, sla: 'unprocessed' }, { timeZone: 'UTC' }).subject).toBe('【嚴重】SO-000042 逾時未處理');
    expect(renderStaffAlert('zh-TW', sla, { timeZone: 'UTC' }).text).not.toContain('is not shipped');
  });
});

describe('purchase order mail', () => {
  it('has every label in every language', () => {
    for (const locale of LOCALES) expect(Object.keys(SUPPLIER_COPY[locale].labels).sort(), locale).toEqual(Object.keys(SUPPLIER_COPY.en.labels).sort());
  });

  for (const locale of LOCALES) {
    it(`in ${locale}: number to quote, lines, total and delivery address`, () => {
      const mail = renderPurchaseOrder(locale, po, { timeZone: 'UTC' });
      expect(mail.subject).toContain('PO-ABC123');
      expect(mail.text).toContain('40 × SKU-1 Tea <pot>');
      expect(mail.html).toContain('Tea &lt;pot&gt;');
      expect(mail.text).toContain(formatMoney(1_250, 'USD', locale));
      expect(mail.text).toContain(formatMoney(40 * 1_250 + 10 * 300, 'USD', locale));
      expect(mail.text).toContain('Newark DC, 1 Port St, 07114 Newark, US');
      expect(mail.html).toContain('Acme &amp; Sons');
    });
  }

  it('leaves the cost to be quoted when it is not known, and shows no total', () => {
    const mail = renderPurchaseOrder('en', { ...po, lines: [{ ...po.lines[0], unitCostMinor: 0 }] });
    expect(mail.text).toContain('40 × SKU-1 Tea <pot>  to be quoted  —');
    expect(mail.text).not.toContain('Order total');
  });
});

describe('purchase order cancellation mail', () => {
  it('has every sentence in every language', () => {
    for (const locale of LOCALES) expect(Object.keys(SUPPLIER_COPY[locale].cancel).sort(), locale).toEqual(Object.keys(SUPPLIER_COPY.en.cancel).sort());
  });

  for (const locale of LOCALES) {
    it(`in ${locale}: withdraws the PO by its number, lists what not to ship, escaped`, () => {
      const mail = renderPurchaseOrderCancellation(locale, { ...po, reason: 'Stock <recovered>' });
      expect(mail.subject).toBe(SUPPLIER_COPY[locale].cancel.subject('PO-ABC123'));
      expect(mail.subject).not.toBe(renderPurchaseOrder(locale, po).subject);
      expect(mail.text).toContain(SUPPLIER_COPY[locale].cancel.intro('PO-ABC123'));
      expect(mail.text).toContain('40 × SKU-1 Tea <pot>');
      expect(mail.text).toContain('10 × SKU-2 Cup');
      expect(mail.text).toContain('Stock <recovered>');
      expect(mail.html).toContain('Stock &lt;recovered&gt;');
      expect(mail.html).toContain('Acme &amp; Sons');
      expect(mail.html).toContain(`<html lang="${locale}">`);
      // No prices: nothing is being bought.
      expect(mail.text).not.toContain(formatMoney(1_250, 'USD', locale));
    });
  }
});
