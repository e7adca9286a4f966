// Scannable barcodes for printed pick lists, drawn on the server as SVG (bwip-js): what a picker's
// scanner reads is what confirmPick accepts (a product's barcode or SKU, a pick list's number).
import bwipjs from 'bwip-js/node';

const cache = new Map<string, string>();

/** EAN-13 when the code is a valid one (products' barcodes), else Code 128; null if it cannot be drawn. */
export function barcodeSvg(code: string): string | null {
  const hit = cache.get(code);
  if (hit !== undefined) return hit;
  let svg: string | null = null;
  for (const bcid of /^\d{13}$/.test(code) ? ['ean13', 'code128'] : ['code128']) {
    try {
      svg = bwipjs.toSVG({ bcid, text: code, height: 9, scale: 2, includetext: bcid === 'ean13', textxalign: 'center' });
      break;
    } catch {
      // not valid for this symbology (e.g. a wrong EAN check digit): try the next
    }
  }
  if (cache.size > 5000) cache.clear();
  cache.set(code, svg ?? '');
  return svg;
}
