import type { LoaderFunctionArgs } from '@remix-run/node';
import { useLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { requireUser } from '../lib/auth.server.ts';
import { AREAS } from '../lib/permissions.ts';
import { EmptyState } from '../components/empty-state.tsx';

/**
 * Areas whose screens are not built yet. Each still checks its permission on the server and says
 * plainly that there is nothing here yet; a dedicated route file replaces this one per area.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const area = AREAS.find((a) => a.id === params.area);
  if (!area) throw new Response(null, { status: 404 });
  await requireUser(request, context, area.permission);
  return { area: area.id };
}

export default function AreaPlaceholder() {
  const { area } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1 className="page-title">{t(`nav.${area}`)}</h1>
      <EmptyState title={t('empty.notBuiltTitle')} body={t(`empty.areas.${area}`)} />
    </>
  );
}
