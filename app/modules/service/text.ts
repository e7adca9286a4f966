// Plain functions over a ticket's text: search tokens (Chinese included), the customer's language,
// order references named in a message, and the reply address that carries a ticket's token.
import type { Locale } from '../../../entities/constants.ts';

/** Han ideographs (CJK Unified, Extension A, Compatibility). */
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const HAN_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

/**
 * Words for full-text search: Latin words lower-cased as they are, runs of Chinese characters as
 * overlapping pairs ("退款申请" → 退款 款申 申请), the way CJK search engines index text without a
 * dictionary. The same function splits the query, so a search for 退款 finds "我要退款".
 */
export function searchTokens(text: string, limit = 4000): string[] {
  const out: string[] = [];
  const withoutHan = text.replace(HAN_RUN, (run) => {
    const chars = [...run];
    if (chars.length === 1) out.push(run);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    return ' ';
  });
  for (const m of withoutHan.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    if (m[0].length <= 64) out.push(m[0]);
  }
  return out.slice(0, limit);
}

/** searchTokens joined for the ticket's search_text column. */
export const searchText = (text: string, limit?: number) => searchTokens(text, limit).join(' ');

// Characters written differently in the two scripts (a few hundred cover everyday text).
const SIMPLIFIED = new Set([...'这们个说对时会来为国东车门见长开关与过还发后问题单号货没给经让请谢运费账户换处理错坏帮']);
const TRADITIONAL = new Set([...'這們個說對時會來為國東車門見長開關與過還發後問題單號貨沒給經讓請謝運費賬戶換處理錯壞幫']);

/** The language a customer wrote in: Chinese by its script (traditional or simplified characters), else English. */
export function detectLanguage(text: string): Locale {
  if (!HAN.test(text)) return 'en';
  let simplified = 0;
  let traditional = 0;
  for (const ch of text) {
    if (SIMPLIFIED.has(ch)) simplified++;
    else if (TRADITIONAL.has(ch)) traditional++;
  }
  return traditional > simplified ? 'zh-TW' : 'zh-CN';
}

/**
 * Strings in a message that may name an order: order numbers (SO-001234, so 1234 reads as SO-001234),
 * and other codes of 6 to 40 letters, digits and dashes holding at least one digit (a channel's order id,
 * a tracking number). The caller looks them up; most will match nothing.
 */
export function orderReferences(text: string, limit = 20): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/\bSO[-\s]?(\d{1,12})\b/giu)) found.add(`SO-${m[1].padStart(6, '0')}`);
  for (const m of text.matchAll(/(?<![\p{L}\p{N}_-])[\p{L}\p{N}#][\p{L}\p{N}_-]{4,39}(?![\p{L}\p{N}_-])/gu)) {
    const code = m[0].replace(/^#/, '');
    if (/\d/.test(code) && !HAN.test(code) && code.length >= 5) found.add(code);
    if (found.size >= limit) break;
  }
  return [...found].slice(0, limit);
}

/** support@shop.com + token → support+token@shop.com (the address customers reply to). */
export function replyAddress(supportEmail: string, token: string): string {
  const at = supportEmail.lastIndexOf('@');
  if (at <= 0) return supportEmail;
  return `${supportEmail.slice(0, at).split('+')[0]}+${token}${supportEmail.slice(at)}`;
}

/** The ticket token in a plus-address (support+<32 hex>@…), or null. */
export function tokenOfAddress(address: string): string | null {
  const m = /^[^@+\s]+\+([0-9a-f]{32})@/i.exec(address.trim());
  return m ? m[1].toLowerCase() : null;
}

/** Users an internal note mentions: @ followed by an email's local part or a first name. */
export function mentionHandles(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:^|[\s(（,，])@([\p{L}\p{N}._-]{2,64})/gu)].map((m) => m[1].toLowerCase().replace(/[.]+$/, '')))].slice(0, 20);
}

/** "Re: Where is my order [TK-001234]" for the subject of a reply. */
export function replySubject(subject: string, number: string): string {
  const base = subject.replace(/^\s*((re|fwd?|回复|回覆|答复|答覆)\s*[:：]\s*)+/iu, '').trim() || number;
  const tagged = base.includes(`[${number}]`) ? base : `${base} [${number}]`;
  return `Re: ${tagged}`.slice(0, 255);
}
