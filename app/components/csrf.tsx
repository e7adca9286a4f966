import { useRootData } from '../root.tsx';

/** Hidden CSRF field every form that changes state must carry; the action checks it with assertCsrf. */
export function CsrfInput() {
  const root = useRootData();
  return <input type="hidden" name="_csrf" value={root?.csrf ?? ''} />;
}
