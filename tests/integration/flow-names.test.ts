// Flows in every language: the seeded flows come with Chinese names, and an ops manager names a flow in
// each language from the designer; each reader sees the flow in theirs (else the name it was given).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signIn } from '../support/http.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ worker: false });
});
afterAll(async () => {
  await app?.stop();
});

describe('flow names', () => {
  it('shows the seeded flows in the reader’s language', async () => {
    expect(await (await (await signIn(app, 'executive')).get('/workflows')).text()).toContain('標準訂單');
    expect(await (await (await signIn(app, 'agent')).get('/workflows')).text()).toContain('标准订单');
    expect(await (await (await signIn(app, 'ops_manager')).get('/workflows')).text()).toContain('Standard order');
  });

  it('lets an ops manager name a flow in each language, audited; refuses a flow without a name', async () => {
    const ops = await signIn(app, 'ops_manager');
    const res = await ops.post('/workflows/reorder', {
      intent: 'rename',
      name: 'Reorder',
      description: 'Restock what runs low',
      'name.en': '',
      'description.en': '',
      'name.zh-CN': '自动补货',
      'description.zh-CN': '为库存不足的商品补货',
      'name.zh-TW': '自動補貨',
      'description.zh-TW': '',
    });
    expect(res.status).toBe(200);
    expect(await (await (await signIn(app, 'executive')).get('/workflows')).text()).toContain('自動補貨');
    const [audit] = await app.db.orm.em
      .fork()
      .execute<{ after: { translations: Record<string, unknown> } }[]>(
        `select after from audit_event where action = 'workflow.renamed' order by id desc limit 1`,
      );
    expect(audit.after.translations).toEqual({ 'zh-CN': { name: '自动补货', description: '为库存不足的商品补货' }, 'zh-TW': { name: '自動補貨' } });
    const bad = await ops.post('/workflows/reorder', { intent: 'rename', name: '  ' });
    expect(bad.status).toBe(422);
    const agent = await signIn(app, 'agent');
    expect((await agent.post('/workflows/reorder', { intent: 'rename', name: 'Mine' })).status).toBe(403);
  });
});
