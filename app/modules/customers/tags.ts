// Customer tags: short lowercase slugs ("wholesale", "b2b", "late-payer"). Plain module so the
// form can show the same limits the server enforces.
import { z } from 'zod';

export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 30;
const TAG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** One tag: trimmed and lowercased first, then it must be a slug of at most MAX_TAG_LENGTH characters. */
export const Tag = z.string().trim().toLowerCase().min(1).max(MAX_TAG_LENGTH).regex(TAG_PATTERN);

/** A customer's whole tag list (duplicates collapse after normalising). */
export const Tags = z
  .array(Tag)
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)]);

/** Splits what a person typed ("VIP, b2b, late-payer") at commas; empty pieces are dropped. */
export function splitTags(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
