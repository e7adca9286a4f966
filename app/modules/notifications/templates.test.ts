import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../entities/constants.ts';
import { NOTIFICATION_TEMPLATES } from '../../../entities/notifications.ts';
import { formatMoney } from '../../lib/format.ts';
import { EMAIL_COPY, emailLocale, escapeHtml, renderNotification, type TemplateInputs } from './templates.ts';

const TRACK = 'http://localhost:3000/track/0123456789abcdef0123456789abcdef';
const order: TemplateInputs['order_confirmation'] = {
  number: 'SO-000042',
  customerName: 'Ada <b>"Lovelace"</b> & Co',
  currency: 'USD',
  subtotalMinor: 123_450,
  shippingMinor: 1_000,
  taxMinor: 500,
  taxIncluded: false,
  discountMinor: 0,
  totalMinor: 124_950,
  placedAt: '2026-03-05T12:00:00Z',
  lines: [{ name: 'Tea <pot>', quantity: 2, totalMinor: 123_450 }],
  trackingPageUrl: TRACK,
};
const inputs: TemplateInputs = {
  order_confirmation: order,
  order_shipped: { ...order, shipments: [{ carrier: 'UPS', trackingNumber: '1Z999', trackingUrl: 'https://www.ups.com/track?tracknum=1Z999&x=<y>' }] },
  order_delivered: { ...order, deliveredAt: '2026-03-09T12:00:00Z', ratingUrl: `${TRACK}?rate=1` },
  recommendations: {
    ...order,
    picks: [
      { name: 'Toner <mist>', priceMinor: 2_450, currency: 'USD', because: 'Cleanser', url: 'https://shop.example/p/TONER?a=1&b=2' },
      { name: 'Serum', priceMinor: 3_900, currency: 'EUR', because: 'Cleanser', url: 'javascript:alert(1)' },
    ],
  },
};
const render = (template: (typeof NOTIFICATION_TEMPLATES)[number], locale: (typeof LOCALES)[number]) =>
  renderNotification(template, locale, inputs[template] as never, { timeZone: 'UTC' });

describe('email copy', () => {
  it('has every template in every language', () => {
    for (const locale of LOCALES) {
      expect(Object.keys(EMAIL_COPY[locale].templates).sort(), locale).toEqual([...NOTIFICATION_TEMPLATES].sort());
      expect(Object.keys(EMAIL_COPY[locale].labels).sort(), locale).toEqual(Object.keys(EMAIL_COPY.en.labels).sort());
    }
  });

  it('writes Simplified and Traditional Chinese separately', () => {
    for (const template of NOTIFICATION_TEMPLATES) {
      expect(render(template, 'zh-CN').subject).not.toBe(render(template, 'zh-TW').subject);
    }
    expect(render('order_shipped', 'zh-CN').subject).toContain('发货');
    expect(render('order_shipped', 'zh-TW').subject).toContain('出貨');
  });
});

describe('renderNotification', () => {
  for (const template of NOTIFICATION_TEMPLATES) {
    for (const locale of LOCALES) {
      it(`${template} in ${locale}`, () => {
        const mail = render(template, locale);
        expect(mail.subject).toContain('SO-000042');
        expect(mail.text).toContain('SO-000042');
        expect(mail.html).toContain('SO-000042');
        expect(mail.html).toContain(`<html lang="${locale}">`);
        // The public tracking page, in every mail.
        expect(mail.text).toContain(TRACK);
        expect(mail.html).toContain(`href="${TRACK}"`);
        // Money through Intl in the customer's locale and the order's currency.
        expect(mail.text).toContain(formatMoney(124_950, 'USD', locale));
        // The customer's name is escaped in HTML and kept as written in text.
        expect(mail.text).toContain('Ada <b>"Lovelace"</b> & Co');
        expect(mail.html).toContain('Ada &lt;b&gt;&quot;Lovelace&quot;&lt;/b&gt; &amp; Co');
        expect(mail.html).not.toContain('<b>');
        expect(mail.html).not.toContain('<pot>');
      });
    }
  }

  it('formats money for each locale', () => {
    expect(render('order_confirmation', 'en').text).toContain('$1,249.50');
    expect(render('order_confirmation', 'zh-CN').text).toContain('US$1,249.50');
    const cny = renderNotification('order_confirmation', 'zh-CN', { ...order, currency: 'CNY' }, { timeZone: 'UTC' });
    expect(cny.text).toContain('¥1,249.50');
    const twd = renderNotification('order_confirmation', 'zh-TW', { ...order, currency: 'TWD', totalMinor: 123_400 }, { timeZone: 'UTC' });
    expect(twd.text).toContain('$1,234.00');
    expect(render('order_confirmation', 'zh-TW').text).toContain('2026年3月5日');
    expect(render('order_confirmation', 'en').text).toContain('Mar 5, 2026');
  });

  it('lists the order lines in the confirmation', () => {
    const mail = render('order_confirmation', 'en');
    expect(mail.text).toContain('2 × Tea <pot>');
    expect(mail.html).toContain('Tea &lt;pot&gt;');
  });

  it("links each parcel to the carrier's tracking page when shipped", () => {
    for (const locale of LOCALES) {
      const mail = render('order_shipped', locale);
      expect(mail.text).toContain('1Z999');
      expect(mail.text).toContain('https://www.ups.com/track?tracknum=1Z999&x=%3Cy%3E');
      expect(mail.html).toContain('href="https://www.ups.com/track?tracknum=1Z999&amp;x=%3Cy%3E"');
    }
    const two = renderNotification('order_shipped', 'en', {
      ...inputs.order_shipped,
      shipments: [...inputs.order_shipped.shipments, { carrier: 'DHL', trackingNumber: 'JD1', trackingUrl: null }],
    });
    expect(two.text).toContain('2 parcels');
    expect(two.text).toContain('JD1');
  });

  it('asks for a rating when delivered', () => {
    for (const locale of LOCALES) {
      const mail = render('order_delivered', locale);
      expect(mail.text).toContain(`${TRACK}?rate=1`);
      expect(mail.html).toContain(`href="${TRACK}?rate=1"`);
      expect(mail.text).toContain(EMAIL_COPY[locale].actions.rate);
    }
    expect(render('order_delivered', 'zh-TW').text).toContain('2026年3月9日');
  });

  it('suggests products bought together, each priced in its own currency, with a link to its page', () => {
    for (const locale of LOCALES) {
      const mail = render('recommendations', locale);
      expect(mail.text).toContain('Toner <mist>');
      expect(mail.html).toContain('Toner &lt;mist&gt;');
      expect(mail.text).toContain(formatMoney(2_450, 'USD', locale));
      expect(mail.text).toContain(formatMoney(3_900, 'EUR', locale));
      expect(mail.text).toContain(`${EMAIL_COPY[locale].labels.goesWith} Cleanser`);
      expect(mail.html).toContain('href="https://shop.example/p/TONER?a=1&amp;b=2"');
      expect(mail.text).toContain(EMAIL_COPY[locale].actions.viewProduct('Toner <mist>'));
      // The serum's link is not http(s): it is shown without one.
      expect(mail.text).toContain('Serum');
      expect(mail.html).not.toContain('javascript:');
      expect(mail.text).not.toContain(EMAIL_COPY[locale].actions.viewProduct('Serum'));
    }
    expect(render('recommendations', 'zh-TW').subject).toBe('為您精選：與訂單 SO-000042 最搭的好物');
  });

  it('drops links that are not http(s)', () => {
    const mail = renderNotification('order_shipped', 'en', {
      ...inputs.order_shipped,
      shipments: [{ carrier: 'X', trackingNumber: 'T1', trackingUrl: 'javascript:alert(1)' }],
    });
    expect(mail.html).not.toContain('javascript:');
    expect(mail.text).not.toContain('javascript:');
  });
});

describe('helpers', () => {
  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it.each([
    ['en', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-TW', 'zh-TW'],
    ['zh-HK', 'zh-TW'],
    ['zh-Hant', 'zh-TW'],
    ['zh', 'zh-CN'],
    ['fr', 'en'],
    [null, 'en'],
  ] as const)('%s reads as %s', (value, expected) => {
    expect(emailLocale(value)).toBe(expected);
  });
});
