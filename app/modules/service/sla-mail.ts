// The mail a team lead (or, for a team without one, the ops managers) gets when a ticket's SLA
// warning or breach fires, in the reader's language. Pure, like the other staff mail
// (app/modules/notifications/staff-mail.ts): one typed copy per language keeps every sentence in each.
import type { Locale, SlaTarget } from '../../../entities/constants.ts';
import { formatDateTime } from '../../lib/format.ts';
import { layoutMail, type Block, type RenderedEmail } from '../notifications/templates.ts';

export type SlaEventKind = 'warning' | 'breach';

export interface SlaMailInput {
  recipientName: string;
  number: string;
  subject: string;
  target: SlaTarget;
  kind: SlaEventKind;
  dueAt: Date | string;
  teamName: string | null;
  ticketUrl: string;
}

interface Copy {
  greeting: (name: string) => string;
  colon: string;
  target: Record<SlaTarget, string>;
  subject: Record<SlaEventKind, (number: string, target: string) => string>;
  sentence: Record<SlaEventKind, (number: string, target: string, due: string) => string>;
  labels: { ticket: string; subject: string; target: string; due: string; team: string };
  open: string;
  signOff: string;
  footer: string;
}

const en: Copy = {
  greeting: (name) => (name ? `Hi ${name},` : 'Hello,'),
  colon: ': ',
  target: { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' },
  subject: {
    warning: (n, target) => `[Warning] ${n}: ${target} due soon`,
    breach: (n, target) => `[Breached] ${n}: ${target} overdue`,
  },
  sentence: {
    warning: (n, target, due) => `${target} for ${n} is due at ${due}.`,
    breach: (n, target, due) => `${target} for ${n} was due at ${due} and has not happened.`,
  },
  labels: { ticket: 'Ticket', subject: 'Subject', target: 'Target', due: 'Due', team: 'Team' },
  open: 'Open the ticket',
  signOff: 'Order Console',
  footer: 'You get this because you lead the team or manage operations.',
};

const zhCN: Copy = {
  greeting: (name) => (name ? `${name}，您好：` : '您好：'),
  colon: '：',
  target: { first_response: '首次响应', next_response: '后续响应', resolution: '解决' },
  subject: {
    warning: (n, target) => `【预警】${n}：${target}即将到期`,
    breach: (n, target) => `【已超时】${n}：${target}已超时`,
  },
  sentence: {
    warning: (n, target, due) => `${n} 的${target}将于 ${due} 到期。`,
    breach: (n, target, due) => `${n} 的${target}应于 ${due} 完成，但尚未完成。`,
  },
  labels: { ticket: '工单', subject: '主题', target: '目标', due: '到期时间', team: '团队' },
  open: '打开工单',
  signOff: '订单控制台',
  footer: '您收到此邮件，是因为您是该团队负责人或运营经理。',
};

const zhTW: Copy = {
  greeting: (name) => (name ? `${name}，您好：` : '您好：'),
  colon: '：',
  target: { first_response: '首次回應', next_response: '後續回應', resolution: '解決' },
  subject: {
    warning: (n, target) => `【預警】${n}：${target}即將到期`,
    breach: (n, target) => `【已逾時】${n}：${target}已逾時`,
  },
  sentence: {
    warning: (n, target, due) => `${n} 的${target}將於 ${due} 到期。`,
    breach: (n, target, due) => `${n} 的${target}應於 ${due} 完成，但尚未完成。`,
  },
  labels: { ticket: '工單', subject: '主旨', target: '目標', due: '到期時間', team: '團隊' },
  open: '開啟工單',
  signOff: '訂單控制台',
  footer: '您收到此郵件，是因為您是該團隊負責人或營運經理。',
};

export const SLA_MAIL_COPY: Record<Locale, Copy> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

/** One SLA warning or breach for one reader. Pure: same input, same mail. */
export function renderSlaMail(locale: Locale, input: SlaMailInput, opts: { timeZone?: string } = {}): RenderedEmail {
  const copy = SLA_MAIL_COPY[locale];
  const target = copy.target[input.target];
  const due = formatDateTime(input.dueAt, locale, opts.timeZone);
  const rows: NonNullable<Block['rows']> = [
    { label: copy.labels.ticket, value: input.number, strong: true },
    { label: copy.labels.subject, value: input.subject },
    { label: copy.labels.target, value: target },
    { label: copy.labels.due, value: due, strong: input.kind === 'breach' },
  ];
  if (input.teamName) rows.push({ label: copy.labels.team, value: input.teamName });
  return layoutMail(
    {
      locale,
      subject: copy.subject[input.kind](input.number, target).slice(0, 255),
      greeting: copy.greeting(input.recipientName.trim()),
      colon: copy.colon,
      signOff: copy.signOff,
      footer: copy.footer,
    },
    [{ p: copy.sentence[input.kind](input.number, target, due) }, { rows }, { link: { label: copy.open, url: input.ticketUrl } }],
  );
}
