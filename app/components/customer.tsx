import { useTranslation } from 'react-i18next';

export function TierBadge({ tier }: { tier: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge tier-${tier}`} data-tier={tier}>
      {t(`tiers.${tier}`)}
    </span>
  );
}

export function TagList({ tags }: { tags: readonly string[] }) {
  if (!tags.length) return null;
  return (
    <ul className="tag-list" data-testid="customer-tags">
      {tags.map((tag) => (
        <li key={tag} className="tag" data-tag={tag}>
          {tag}
        </li>
      ))}
    </ul>
  );
}
