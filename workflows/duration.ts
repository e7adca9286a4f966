// Durations as flows write them: 90s, 10m, 2h, 3d, or combined largest first (1d2h30m). One grammar for
// the designer's settings, the interpreter's timers and the console's task deadlines. Pure and
// deterministic, so workflow code may use it.
export const DURATION_PATTERN = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `text` in milliseconds; null when it is not a duration (or empty). */
export function parseDuration(text: unknown): number | null {
  if (typeof text !== 'string' || !text.trim()) return null;
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) return null;
  return (((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1000;
}
