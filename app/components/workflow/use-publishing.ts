// Publishing the draft as a new version (with a message), and rolling back to an older one.
import { useFetcher } from '@remix-run/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useRootData } from '../../root.tsx';
import type { DesignerActionData } from './types.ts';

export function usePublishing() {
  const { t } = useTranslation();
  const root = useRootData();
  const publisher = useFetcher<DesignerActionData>();
  const [message, setMessage] = useState('');
  const publish = () => publisher.submit({ intent: 'publish', message, _csrf: root?.csrf ?? '' }, { method: 'post' });
  /** Publishes `version` again as the newest, with a message saying so. */
  const rollback = (version: number) =>
    publisher.submit(
      {
        intent: 'rollback',
        version: String(version),
        message: t('designer.rollbackMessage', { version }),
        _csrf: root?.csrf ?? '',
      },
      { method: 'post' },
    );
  return { publisher, published: publisher.data?.published, message, setMessage, publish, rollback };
}

export type PublishingState = ReturnType<typeof usePublishing>;
