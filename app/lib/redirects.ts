// Where the console may send a browser, and who counts as the console itself. Parsed as URLs, never by
// prefix: browsers read `/\evil.example`, `/\t/evil.example` and `//evil.example` as another host.

const BASE = 'http://console.invalid';

/**
 * `to` when it is a path on this site, else `fallback`. The value is resolved against a stand-in origin
 * the way a browser resolves a Location header (backslashes as slashes, tabs and newlines dropped);
 * anything that lands on another origin, or that is not a plain absolute path, is refused.
 */
export function safeRedirect(to: unknown, fallback = '/'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.length > 2000) return fallback;
  // Control characters are never part of a path we would send; a browser would strip some and keep others.
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** True when `origin` (an Origin header) names the same host as the request's Host header. */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
