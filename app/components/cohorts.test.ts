import { describe, expect, it } from 'vitest';
import { HEAT, inkOn, opacity } from './cohorts.tsx';

/** WCAG contrast of the figure's ink on the heatmap cell (the heatmap's blue at the share's opacity over white). */
function contrast(share: number, ink: '#fff' | '#000') {
  const a = opacity(share);
  const lum = (rgb: number[]) => {
    const [r, g, b] = rgb.map((c) => {
      const v = c / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const cell = lum(HEAT.map((c) => 255 - a * (255 - c)));
  const text = ink === '#fff' ? 1 : 0;
  return (Math.max(cell, text) + 0.05) / (Math.min(cell, text) + 0.05);
}

describe('the retention heatmap’s figures', () => {
  it('are readable on every shade (WCAG AA, 4.5:1), the middle ones included', () => {
    for (let i = 0; i <= 100; i++) expect(contrast(i / 100, inkOn(i / 100)), `share ${i}%`).toBeGreaterThanOrEqual(4.5);
    expect(inkOn(0.05)).toBe('#000');
    expect(inkOn(1)).toBe('#fff');
  });
});
