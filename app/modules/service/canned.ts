// Canned responses: liquid templates an agent picks, rendered for one ticket. Pure: the variables are
// gathered by canned.server.ts. Rendering is bounded (template size, render time, memory, output
// size) and never touches the file system: include / render / layout are refused when the template is
// parsed, and the engine has an empty in-memory template store besides. Unknown variables render as
// nothing and are reported, so the settings screen can warn about a typo.
import { Liquid, type Template } from 'liquidjs';
import { LOCALES, type Locale } from '../../../entities/constants.ts';

/** Every variable a canned response may use. */
export const CANNED_VARIABLES = [
  'customer.name',
  'customer.email',
  'order.number',
  'order.status',
  'order.tracking_url',
  'order.carrier_tracking',
  'return.number',
  'return.label_url',
  'agent.name',
  'ticket.number',
  'store.name',
] as const;
export type CannedVariable = (typeof CANNED_VARIABLES)[number];

/** The values for one ticket, by variable (absent: renders as nothing). */
export type CannedValues = Partial<Record<CannedVariable, string>>;

/** Longest template body (characters) and longest rendered text. */
export const MAX_TEMPLATE_CHARS = 10_000;
export const MAX_OUTPUT_CHARS = 20_000;
/** Rendering budget: milliseconds and (liquidjs's estimate of) bytes. */
const RENDER_MS = 200;
const MEMORY = 1_000_000;

const REFUSED_TAGS = ['include', 'render', 'layout', 'block'] as const;

function engine(): Liquid {
  const liquid = new Liquid({
    // Nothing to include from: an empty in-memory store instead of the file system.
    templates: {},
    relativeReference: false,
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    outputEscape: undefined,
    parseLimit: MAX_TEMPLATE_CHARS * 2,
    renderLimit: RENDER_MS,
    memoryLimit: MEMORY,
    cache: false,
  });
  for (const tag of REFUSED_TAGS)
    liquid.registerTag(tag, {
      parse() {
        throw new Error(`tag_not_allowed:${tag}`);
      },
      *render() {
        return '';
      },
    });
  return liquid;
}

let shared: Liquid | undefined;
const liquid = () => (shared ??= engine());

export type ParseOutcome = { ok: true; templates: Template[]; unknown: string[] } | { ok: false; message: string };

/** The message of a liquidjs error without its context lines (what the settings form shows). */
function briefly(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const first = text.split('\n')[0] ?? text;
  const refused = /tag_not_allowed:(\w+)/.exec(text);
  if (refused) return `{% ${refused[1]} %}`;
  return first.replace(/, line:\d+, col:\d+$/, '').slice(0, 200);
}

/** Parses a template: its parsed form and the variables it uses that are not ours, or why it does not parse. */
export function parseCanned(body: string): ParseOutcome {
  if (body.length > MAX_TEMPLATE_CHARS) return { ok: false, message: `> ${MAX_TEMPLATE_CHARS}` };
  try {
    const templates = liquid().parse(body);
    const used = liquid().globalFullVariablesSync(templates);
    const known = new Set<string>(CANNED_VARIABLES);
    const unknown = [...new Set(used.filter((v) => !known.has(v)))].sort();
    return { ok: true, templates, unknown };
  } catch (e) {
    return { ok: false, message: briefly(e) };
  }
}

/** `{ customer: { name } … }` from the flat values. */
function scope(values: CannedValues): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const v of CANNED_VARIABLES) {
    const [group, name] = v.split('.') as [string, string];
    out[group] ??= {};
    out[group][name] = values[v] ?? '';
  }
  return out;
}

export type RenderOutcome = { ok: true; text: string; unknown: string[] } | { ok: false; message: string };

/** Renders a template for a ticket's values: plain text (no escaping: it is mailed as text), trimmed, cut at MAX_OUTPUT_CHARS. */
export async function renderCanned(body: string, values: CannedValues): Promise<RenderOutcome> {
  const parsed = parseCanned(body);
  if (!parsed.ok) return parsed;
  try {
    const text = String(await liquid().render(parsed.templates, scope(values)));
    return { ok: true, text: text.trim().slice(0, MAX_OUTPUT_CHARS), unknown: parsed.unknown };
  } catch (e) {
    return { ok: false, message: briefly(e) };
  }
}

/** The body in the ticket's language, else English, else the first there is. */
export function bodyFor(bodies: Record<string, string>, language: string): { locale: string; body: string } {
  const pick = (l: string) => (typeof bodies[l] === 'string' && bodies[l].trim() ? bodies[l] : null);
  const own = pick(language);
  if (own !== null) return { locale: language, body: own };
  const en = pick('en');
  if (en !== null) return { locale: 'en', body: en };
  const first = (LOCALES as readonly Locale[]).find((l) => pick(l) !== null);
  return first ? { locale: first, body: bodies[first] } : { locale: 'en', body: '' };
}
