import { describe, expect, it } from 'vitest';
import { detectLanguage, mentionHandles, orderReferences, replyAddress, replySubject, searchTokens, tokenOfAddress } from './text.ts';

describe('searchTokens', () => {
  it('splits Chinese into overlapping pairs and keeps Latin words', () => {
    expect(searchTokens('我要退款 Order SO-001234')).toEqual(['我要', '要退', '退款', 'order', 'so', '001234']);
  });
  it('finds a query inside a longer Chinese text', () => {
    const doc = new Set(searchTokens('你好，我的包裹到了但是杯子破了，我要退款'));
    for (const t of searchTokens('退款')) expect(doc.has(t)).toBe(true);
    for (const t of searchTokens('杯子破了')) expect(doc.has(t)).toBe(true);
  });
  it('keeps a single Chinese character', () => {
    expect(searchTokens('杯')).toEqual(['杯']);
  });
});

describe('detectLanguage', () => {
  it('tells the scripts apart', () => {
    expect(detectLanguage('Where is my parcel?')).toBe('en');
    expect(detectLanguage('我的订单号是多少？这个问题请帮我处理')).toBe('zh-CN');
    expect(detectLanguage('我的訂單還沒到，這個問題請幫我處理')).toBe('zh-TW');
  });
});

describe('orderReferences', () => {
  it('reads order numbers however they are written', () => {
    expect(orderReferences('about so 1234 and SO-000077')).toEqual(expect.arrayContaining(['SO-001234', 'SO-000077']));
  });
  it('keeps codes with digits and drops plain words', () => {
    const refs = orderReferences('my tracking is 1Z999AA10123456784, order #shop-55123, thanks for everything');
    expect(refs).toContain('1Z999AA10123456784');
    expect(refs).toContain('shop-55123');
    expect(refs).not.toContain('thanks');
    expect(refs).not.toContain('everything');
  });
  it('finds a number inside Chinese text', () => {
    expect(orderReferences('订单SO-001234的杯子破了')).toContain('SO-001234');
  });
});

describe('reply addresses', () => {
  it('puts the token in a plus-address and reads it back', () => {
    const token = 'a'.repeat(32);
    const address = replyAddress('support@shop.test', token);
    expect(address).toBe(`support+${token}@shop.test`);
    expect(tokenOfAddress(address)).toBe(token);
    expect(tokenOfAddress('support@shop.test')).toBeNull();
    expect(tokenOfAddress('support+short@shop.test')).toBeNull();
  });
});

describe('mentions and subjects', () => {
  it('finds @handles', () => {
    expect(mentionHandles('please check @ops and @li.wei, thanks')).toEqual(['ops', 'li.wei']);
    expect(mentionHandles('mail me at a@b.c')).toEqual([]);
  });
  it('prefixes Re: once and tags the ticket number', () => {
    expect(replySubject('Re: RE: Broken mug', 'TK-001001')).toBe('Re: Broken mug [TK-001001]');
    expect(replySubject('回复：杯子破了 [TK-001001]', 'TK-001001')).toBe('Re: 杯子破了 [TK-001001]');
  });
});
