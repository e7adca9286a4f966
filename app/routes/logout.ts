import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { assertCsrf, logout } from '../lib/auth.server.ts';

export async function action({ request, context }: ActionFunctionArgs) {
  assertCsrf(request, await request.formData());
  return redirect('/login', { headers: { 'Set-Cookie': await logout(request, context) } });
}

export const loader = () => redirect('/');
