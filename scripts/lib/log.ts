// Console output for the launcher scripts: one prefix per part, colours only on a terminal.
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);

export const colours = { web: 36, worker: 35, temporal: 33, postgres: 34, seed: 32, start: 1, test: 1 } as const;

export function logger(part: keyof typeof colours | string) {
  const code = (colours as Record<string, number>)[part] ?? 37;
  const tag = paint(code, `[${part}]`);
  return {
    info: (...args: unknown[]) => console.log(tag, ...args),
    warn: (...args: unknown[]) => console.warn(tag, paint(33, 'warning:'), ...args),
    error: (...args: unknown[]) => console.error(tag, paint(31, 'error:'), ...args),
  };
}

export const bold = (s: string) => paint(1, s);
