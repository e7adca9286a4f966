// The sender of the console's mail, from MAIL_FROM (pure: shared by the mail modules and the store's profile).

/** The display name of MAIL_FROM ("Shop <shop@example.com>" → "Shop"), for sign-offs. */
export function senderName(env: Record<string, string | undefined> = process.env): string {
  const from = env.MAIL_FROM?.trim() || 'Order Console <no-reply@localhost>';
  const m = from.match(/^\s*"?([^"<]*?)"?\s*<[^>]+>\s*$/);
  return (m?.[1]?.trim() || from).slice(0, 200);
}
