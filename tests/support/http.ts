// A minimal browser: keeps cookies, reads the CSRF token from rendered forms, follows nothing.
export class Browser {
  cookies = new Map<string, string>();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }

  get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i),
        value = pair.slice(i + 1);
      if (value === '' || /Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}) {
    const res = await fetch(this.base + path, { redirect: 'manual', headers: { Cookie: this.cookieHeader, ...headers } });
    this.remember(res);
    return res;
  }

  /** The CSRF token a page would embed: the session's when signed in, else the sign-in form's (issuing its cookie). */
  async csrf(): Promise<string> {
    let res = await this.get(this.cookies.has('oms_session') ? '/' : '/login');
    const to = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && to) res = await this.get(new URL(to, this.base).pathname);
    const html = await res.text();
    const m = html.match(/name="_csrf" value="([^"]+)"/);
    if (m) return m[1];
    const token = this.cookies.get('oms_csrf');
    if (!token) throw new Error('no CSRF token issued');
    return decodeURIComponent(token);
  }

  /** `form` as pairs when a field repeats (one per line of a table form). */
  async post(path: string, form: Record<string, string> | [string, string][], opts: { csrf?: boolean; headers?: Record<string, string> } = {}) {
    const body = new URLSearchParams(form);
    if (opts.csrf !== false && !body.has('_csrf')) body.set('_csrf', await this.csrf());
    const res = await fetch(this.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.base, Cookie: this.cookieHeader, ...opts.headers },
      body,
    });
    this.remember(res);
    return res;
  }

  async login(email: string, password: string) {
    const res = await this.post('/login', { email, password });
    if (res.status !== 302) throw new Error(`login as ${email} failed: ${res.status} ${await res.text()}`);
    return res;
  }
}

/** A browser signed in as the test app's user of `role` (the demo has one per role). */
export async function signIn(
  app: { url: string; credentials: { users: { role: string; email: string; password: string }[] } },
  role: string,
): Promise<Browser> {
  const user = app.credentials.users.find((u) => u.role === role);
  if (!user) throw new Error(`the test app has no ${role}`);
  const b = new Browser(app.url);
  await b.login(user.email, user.password);
  return b;
}
