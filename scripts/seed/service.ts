// The demo's service desk: two teams with their hours, the agent's profile, SLA policies, and tickets in
// English, 简体中文 and 繁體中文 from the demo's own customers about their own orders, in every state
// (new, waiting on the customer, solved, overdue), so the queue and the ticket page are alive.
import type { MikroORM } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { Actor } from '../../app/lib/audit.server.ts';
import { db, jsonb } from '../../app/lib/db.server.ts';
import { markDelivered } from '../../app/modules/notifications/service.server.ts';
import { receiveMessage, reply, updateTicket } from '../../app/modules/service/tickets.server.ts';
import { refreshSla } from '../../app/modules/service/sla.server.ts';

const WEEKDAYS = [1, 2, 3, 4, 5].map((day) => ({ day, from: 9 * 60, to: 18 * 60 }));
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, from: 8 * 60, to: 22 * 60 }));

interface DemoTicket {
  locale: 'en' | 'zh-CN' | 'zh-TW';
  subject: string;
  body: (order: string) => string;
  /** Hours ago the customer wrote. */
  ago: number;
  reply?: string;
  status?: 'pending' | 'solved' | 'on_hold';
  priority?: 'high' | 'urgent';
}

const TICKETS: DemoTicket[] = [
  {
    locale: 'en',
    subject: 'Where is my order?',
    body: (o) => `Hi, I ordered ${o} last week and the tracking has not moved for three days. Can you check?`,
    ago: 30,
    priority: 'high',
  },
  { locale: 'en', subject: 'Mug arrived broken', body: (o) => `The mug in order ${o} arrived in pieces. Photos attached. I would like a refund.`, ago: 3 },
  {
    locale: 'en',
    subject: 'Change delivery address',
    body: (o) => `Could you send ${o} to my office instead? 200 Park Ave, New York.`,
    ago: 6,
    reply: 'Of course. Which floor should the courier ask for?',
    status: 'pending',
  },
  {
    locale: 'en',
    subject: 'Invoice needed',
    body: (o) => `Please send me a VAT invoice for ${o}.`,
    ago: 50,
    reply: 'Here it is, attached to this mail.',
    status: 'solved',
  },
  { locale: 'zh-CN', subject: '订单还没到', body: (o) => `你好，我的订单 ${o} 已经一周了还没收到，麻烦帮我查一下物流。`, ago: 0.5 },
  { locale: 'zh-CN', subject: '杯子碎了，要退款', body: (o) => `订单 ${o} 里的杯子收到时已经碎了，我要退款。`, ago: 20, priority: 'urgent' },
  {
    locale: 'zh-CN',
    subject: '发票问题',
    body: (o) => `请问订单 ${o} 可以开增值税发票吗？`,
    ago: 8,
    reply: '可以的，请提供您的公司抬头和税号。',
    status: 'pending',
  },
  { locale: 'zh-TW', subject: '想要換貨', body: (o) => `訂單 ${o} 的尺寸不合，請問可以換大一號嗎？`, ago: 2 },
  {
    locale: 'zh-TW',
    subject: '訂單還沒收到',
    body: (o) => `我的訂單 ${o} 還沒收到，請幫我查一下，謝謝。`,
    ago: 28,
    reply: '已為您聯絡物流公司，等待回覆中。',
    status: 'on_hold',
  },
  { locale: 'zh-TW', subject: '謝謝', body: (o) => `訂單 ${o} 已收到，謝謝你們的幫忙！`, ago: 72, reply: '不客氣，祝您使用愉快！', status: 'solved' },
];

export async function seedServiceDesk(orm: MikroORM, actor: Actor): Promise<number> {
  const em0 = orm.em.fork();
  const q = db(em0);
  const [office, longHours] = await Promise.all([
    q
      .insertInto('business_calendar')
      .values({
        name: 'New York office',
        time_zone: 'America/New_York',
        hours: jsonb(WEEKDAYS),
        holidays: jsonb(['2026-12-25', '2027-01-01']),
        created_at: sql`now()`,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
    q
      .insertInto('business_calendar')
      .values({
        name: 'Greater China',
        time_zone: 'Asia/Shanghai',
        hours: jsonb(EVERY_DAY),
        holidays: jsonb(['2027-02-06', '2027-02-07', '2027-02-08']),
        created_at: sql`now()`,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  ]);
  const [ops] = await q.selectFrom('app_user').select('id').where('role', '=', 'ops_manager').orderBy('id').limit(1).execute();
  const teams = {
    en: await q
      .insertInto('team')
      .values({ name: 'Customer care', calendar_id: office.id, lead_id: ops?.id ?? null, email: 'support@lumen.example', created_at: sql`now()` })
      .returning('id')
      .executeTakeFirstOrThrow(),
    zh: await q
      .insertInto('team')
      .values({ name: '中文客服', calendar_id: longHours.id, lead_id: ops?.id ?? null, email: 'kefu@lumen.example', created_at: sql`now()` })
      .returning('id')
      .executeTakeFirstOrThrow(),
  };
  const agents = await q.selectFrom('app_user').select(['id', 'role', 'name']).where('role', 'in', ['agent', 'ops_manager']).execute();
  for (const a of agents)
    await q
      .insertInto('agent_profile')
      .values({
        user_id: a.id,
        team_id: a.role === 'agent' ? teams.zh.id : teams.en.id,
        skills: a.role === 'agent' ? ['zh-CN', 'zh-TW', 'en'] : ['en'],
        capacity: 15,
        available: true,
      })
      .execute();
  await q
    .insertInto('sla_policy')
    .values([
      {
        name: 'Urgent',
        priority: 'urgent',
        first_response_minutes: 60,
        next_response_minutes: 120,
        resolution_minutes: 8 * 60,
        warn_before_minutes: 15,
        created_at: sql`now()`,
      },
      {
        name: 'VIP customers',
        tier: 'vip',
        first_response_minutes: 120,
        next_response_minutes: 240,
        resolution_minutes: 24 * 60,
        warn_before_minutes: 30,
        created_at: sql`now()`,
      },
      {
        name: 'Standard',
        first_response_minutes: 8 * 60,
        next_response_minutes: 12 * 60,
        resolution_minutes: 72 * 60,
        warn_before_minutes: 60,
        created_at: sql`now()`,
      },
    ])
    .execute();

  const agent = agents.find((a) => a.role === 'agent');
  let made = 0;
  for (const [i, d] of TICKETS.entries()) {
    // A customer of that language with an order, so the ticket finds both.
    const o = await q
      .selectFrom('sales_order as o')
      .innerJoin('customer as c', 'c.id', 'o.customer_id')
      .select(['o.number', 'c.email', 'c.name'])
      .where('c.locale', '=', d.locale)
      .orderBy('o.id', 'desc')
      .offset(i)
      .limit(1)
      .executeTakeFirst();
    if (!o) continue;
    await orm.em.fork().transactional(async (em) => {
      const r = await receiveMessage(em, actor, {
        channel: i % 4 === 3 ? 'tracking_page' : 'email',
        source: i % 4 === 3 ? 'tracking_page' : 'email',
        fromEmail: o.email,
        fromName: o.name,
        subject: d.subject,
        body: d.body(o.number),
        messageId: `<demo-${i}@customer.example>`,
        language: d.locale,
        priority: d.priority,
        teamId: d.locale === 'en' ? teams.en.id : teams.zh.id,
      });
      // The customer wrote `ago` hours ago.
      const at = sql<Date>`now() - ${d.ago} * interval '1 hour'`;
      await db(em).updateTable('ticket').set({ created_at: at, updated_at: at, last_customer_message_at: at }).where('id', '=', r.ticketId).execute();
      await db(em).updateTable('ticket_message').set({ created_at: at }).where('id', '=', r.messageId).execute();
      await refreshSla(em, r.ticketId);
      if (d.reply && agent) {
        const by = { type: 'user' as const, id: agent.id, label: agent.name };
        await updateTicket(em, by, r.ticketId, { assigneeId: agent.id });
        const sent = await reply(em, by, r.ticketId, { body: d.reply, status: d.status ?? 'pending', agentName: agent.name });
        // The demo's earlier conversations: their mail went out long ago.
        const csat = await db(em).selectFrom('notification').select('id').where('idempotency_key', '=', `ticket-csat:${r.ticketId}`).executeTakeFirst();
        for (const id of [sent.notificationId, csat?.id ?? null]) if (id) await markDelivered(em, Number(id), actor);
      }
    });
    made++;
  }
  return made;
}
