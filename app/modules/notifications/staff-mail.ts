// Alert emails to staff: what a workflow's "alert staff" step or SLA timer raised, in the
// recipient's language. Pure rendering, like the customer templates; the copy lives here for the
// same reason (one typed object per language keeps every sentence in every language).
import type { Locale } from '../../../entities/constants.ts';
import { formatDateTime } from '../../lib/format.ts';
import { layoutMail, type Block, type RenderedEmail } from './templates.ts';

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** The SLA timers' kinds (workflows/interpreter.ts watchSla); anything else is a flow's own alert. */
export type SlaKind = 'unprocessed' | 'unshipped';

export interface StaffAlertInput {
  recipientName: string;
  /** The alert's own text as the flow's author wrote it (shown as is). */
  message: string;
  severity: AlertSeverity;
  sla: SlaKind | null;
  /** The run's order number or other subject, when the trigger has one. */
  subject: string | null;
  /** The order's promised date (unshipped SLA). */
  promisedBy: Date | string | null;
  workflowId: string;
  nodeId: string;
  raisedAt: Date | string;
  /** The run view in the console. */
  runUrl: string | null;
}

interface StaffCopy {
  greeting: (name: string) => string;
  colon: string;
  severity: Record<AlertSeverity, string>;
  /** Subject line for a flow's own alert: severity tag, then the message. */
  subject: (severity: string, message: string) => string;
  sla: Record<SlaKind, { subject: (severity: string, subject: string) => string; sentence: (subject: string, promised: string) => string }>;
  intro: string;
  labels: { message: string; severity: string; subject: string; workflow: string; step: string; raised: string; promised: string };
  openRun: string;
  signOff: string;
  footer: string;
}

const en: StaffCopy = {
  greeting: (name) => (name ? `Hi ${name},` : 'Hello,'),
  colon: ': ',
  severity: { info: 'Info', warning: 'Warning', critical: 'Critical' },
  subject: (severity, message) => `[${severity}] ${message}`,
  sla: {
    unprocessed: {
      subject: (severity, subject) => `[${severity}] ${subject} is overdue for processing`,
      sentence: (subject) => `${subject} has not been processed within the agreed time.`,
    },
    unshipped: {
      subject: (severity, subject) => `[${severity}] ${subject} has not shipped and is due soon`,
      sentence: (subject, promised) => `${subject} has not shipped yet and was promised by ${promised}.`,
    },
  },
  intro: 'A workflow raised an alert that needs your attention.',
  labels: { message: 'Alert', severity: 'Severity', subject: 'Subject', workflow: 'Workflow run', step: 'Step', raised: 'Raised at', promised: 'Promised by' },
  openRun: 'Open the run in the console',
  signOff: 'This alert also shows in the console’s alert bell.',
  footer: 'You receive workflow alerts because of your role in the order console.',
};

const zhCN: StaffCopy = {
  greeting: (name) => (name ? `${name}，您好：` : '您好：'),
  colon: '：',
  severity: { info: '提示', warning: '警告', critical: '严重' },
  subject: (severity, message) => `【${severity}】${message}`,
  sla: {
    unprocessed: {
      subject: (severity, subject) => `【${severity}】${subject} 超时未处理`,
      sentence: (subject) => `${subject} 未能在约定时间内完成处理。`,
    },
    unshipped: {
      subject: (severity, subject) => `【${severity}】${subject} 尚未发货，承诺日期将至`,
      sentence: (subject, promised) => `${subject} 尚未发货，承诺送达日期为 ${promised}。`,
    },
  },
  intro: '工作流发出了一条需要您关注的警报。',
  labels: { message: '警报', severity: '级别', subject: '对象', workflow: '工作流运行', step: '步骤', raised: '发出时间', promised: '承诺日期' },
  openRun: '在控制台中查看该运行',
  signOff: '这条警报同时显示在控制台的警报铃铛中。',
  footer: '您收到工作流警报，是因为您在订单控制台中的角色。',
};

const zhTW: StaffCopy = {
  greeting: (name) => (name ? `${name} 您好：` : '您好：'),
  colon: '：',
  severity: { info: '提示', warning: '警告', critical: '嚴重' },
  subject: (severity, message) => `【${severity}】${message}`,
  sla: {
    unprocessed: {
      subject: (severity, subject) => `【${severity}】${subject} 逾時未處理`,
      sentence: (subject) => `${subject} 未能在約定時間內完成處理。`,
    },
    unshipped: {
      subject: (severity, subject) => `【${severity}】${subject} 尚未出貨，承諾日期將至`,
      sentence: (subject, promised) => `${subject} 尚未出貨，承諾送達日期為 ${promised}。`,
    },
  },
  intro: '工作流程發出了一則需要您留意的警示。',
  labels: { message: '警示', severity: '等級', subject: '對象', workflow: '工作流程執行', step: '步驟', raised: '發出時間', promised: '承諾日期' },
  openRun: '在主控台查看這次執行',
  signOff: '這則警示也會顯示在主控台的警示鈴鐺中。',
  footer: '您會收到工作流程警示，是因為您在訂單主控台中的角色。',
};

export const STAFF_ALERT_COPY: Record<Locale, StaffCopy> = { en, 'zh-CN': zhCN, 'zh-TW': zhTW };

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Renders one alert for one recipient. Pure: same input, same mail. */
export function renderStaffAlert(locale: Locale, input: StaffAlertInput, opts: { timeZone?: string } = {}): RenderedEmail {
  const copy = STAFF_ALERT_COPY[locale];
  const L = copy.labels;
  const severity = copy.severity[input.severity];
  const when = (d: Date | string) => formatDateTime(d, locale, opts.timeZone);
  const about = input.subject ?? input.workflowId;
  const promised = input.promisedBy ? when(input.promisedBy) : '';
  const sla = input.sla ? copy.sla[input.sla] : null;
  const subject = sla ? sla.subject(severity, about) : copy.subject(severity, oneLine(input.message, 120));

  const blocks: Block[] = [{ p: copy.intro }];
  // An SLA breach is said in the reader's language; a flow's own alert is its author's text.
  blocks.push({ p: sla ? sla.sentence(about, promised) : input.message });
  const rows: NonNullable<Block['rows']> = [{ label: L.severity, value: severity, strong: input.severity === 'critical' }];
  if (input.subject) rows.push({ label: L.subject, value: input.subject });
  if (sla && input.sla === 'unshipped' && promised) rows.push({ label: L.promised, value: promised });
  rows.push({ label: L.workflow, value: input.workflowId }, { label: L.step, value: input.nodeId }, { label: L.raised, value: when(input.raisedAt) });
  blocks.push({ rows });
  if (input.runUrl) blocks.push({ link: { label: copy.openRun, url: input.runUrl } });

  return layoutMail(
    {
      locale,
      subject: subject.slice(0, 255),
      greeting: copy.greeting(input.recipientName.trim()),
      colon: copy.colon,
      signOff: copy.signOff,
      footer: copy.footer,
    },
    blocks,
  );
}
