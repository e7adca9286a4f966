// Mail the service desk sends customers: an agent's reply (threaded into the customer's conversation)
// and the rating request after a ticket is solved, in the ticket's language. Pure rendering through
// the notifications layout, so desk mail looks like the shop's other mail.
import type { Locale } from '../../../entities/constants.ts';
import { layoutMail, type RenderedEmail } from '../notifications/templates.ts';

interface DeskCopy {
  greeting: (name: string) => string;
  signOff: (agent: string, store: string) => string;
  footer: (number: string) => string;
  csatSubject: (number: string) => string;
  csatAsk: string;
  csatButton: string;
  colon: string;
}

const COPY: Record<Locale, DeskCopy> = {
  en: {
    greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
    signOff: (agent, store) => `${agent}\n${store} customer service`,
    footer: (number) => `Just reply to this mail to answer us. Ticket ${number}.`,
    csatSubject: (number) => `How did we do? [${number}]`,
    csatAsk: 'Your request is solved. Would you tell us how we did? One click is enough.',
    csatButton: 'Rate our help',
    colon: ': ',
  },
  'zh-CN': {
    greeting: (name) => (name ? `${name}，您好：` : '您好：'),
    signOff: (agent, store) => `${agent}\n${store} 客户服务`,
    footer: (number) => `直接回复此邮件即可联系我们。工单 ${number}。`,
    csatSubject: (number) => `请评价我们的服务 [${number}]`,
    csatAsk: '您的问题已解决。能否告诉我们这次服务如何？点一下就好。',
    csatButton: '评价服务',
    colon: '：',
  },
  'zh-TW': {
    greeting: (name) => (name ? `${name}，您好：` : '您好：'),
    signOff: (agent, store) => `${agent}\n${store} 客戶服務`,
    footer: (number) => `直接回覆此郵件即可聯絡我們。工單 ${number}。`,
    csatSubject: (number) => `請評價我們的服務 [${number}]`,
    csatAsk: '您的問題已解決。能否告訴我們這次服務如何？點一下就好。',
    csatButton: '評價服務',
    colon: '：',
  },
};

export interface ReplyMailInput {
  locale: Locale;
  subject: string;
  number: string;
  customerName: string;
  agentName: string;
  storeName: string;
  body: string;
}

/** An agent's reply as the customer reads it: greeting, the reply, the agent's name, how to answer. */
export function renderReplyMail(input: ReplyMailInput): RenderedEmail {
  const copy = COPY[input.locale];
  const paragraphs = input.body
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean);
  return layoutMail(
    {
      locale: input.locale,
      subject: input.subject,
      greeting: copy.greeting(input.customerName),
      colon: copy.colon,
      signOff: copy.signOff(input.agentName, input.storeName),
      footer: copy.footer(input.number),
    },
    paragraphs.map((p) => ({ p })),
  );
}

/** The one-click rating request sent when a ticket is solved. */
export function renderCsatMail(input: { locale: Locale; number: string; customerName: string; storeName: string; url: string }): RenderedEmail {
  const copy = COPY[input.locale];
  return layoutMail(
    {
      locale: input.locale,
      subject: copy.csatSubject(input.number),
      greeting: copy.greeting(input.customerName),
      colon: copy.colon,
      signOff: input.storeName,
      footer: copy.footer(input.number),
    },
    [{ p: copy.csatAsk }, { link: { label: copy.csatButton, url: input.url } }],
  );
}
