import { useTranslation } from 'react-i18next';
import type { DesignerEditor } from '../../lib/presence.ts';
import { initials } from './helpers.ts';

/** Who else has this flow open: an avatar with initials and the name, each. */
export function PresenceAvatars({ others }: { others: DesignerEditor[] }) {
  const { t } = useTranslation();
  return (
    <ul className="presence" data-testid="designer-presence" aria-label={t('designer.presence.label')}>
      {others.map((e) => (
        <li
          key={e.userId}
          className="presence-user"
          data-testid="presence-user"
          title={t(e.editing ? 'designer.presence.editing' : 'designer.presence.viewing', { name: e.name })}
        >
          <span className="avatar" aria-hidden="true">
            {initials(e.name)}
          </span>
          {e.name}
        </li>
      ))}
    </ul>
  );
}
