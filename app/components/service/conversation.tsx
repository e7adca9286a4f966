import { Form } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { MessageView } from '../../modules/service/queries.server.ts';
import { CsrfInput } from '../csrf.tsx';
import { DateTime } from '../format.tsx';

const sizeText = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/**
 * The ticket's messages, oldest first: the customer's, agents' replies (with their mail's delivery state)
 * and internal notes. Bodies are plain text rendered as text (never as HTML); attachments are download links.
 */
export function Conversation({ messages, canSplit }: { messages: MessageView[]; canSplit: boolean }) {
  const { t } = useTranslation();
  const customerMessages = messages.filter((m) => m.kind === 'customer').length;
  return (
    <ol className="conversation" data-testid="conversation">
      {messages.map((m) => (
        <li key={m.id} className={`message message-${m.kind}`} data-testid="message" data-kind={m.kind} data-id={m.id}>
          <div className="message-head">
            <strong>{m.authorName ?? m.fromEmail ?? t('service.customer')}</strong>
            {m.kind === 'customer' && m.fromEmail && m.authorName ? <span className="muted small"> &lt;{m.fromEmail}&gt;</span> : null}
            <span className="badge">{t(`service.kinds.${m.kind}`)}</span>
            <span className="muted small">
              <DateTime value={m.createdAt} /> · {t(`service.sources.${m.source}`, { defaultValue: m.source })}
            </span>
            {m.kind === 'reply' && m.notificationStatus ? (
              <span className="muted small"> · {t(`service.mailStatus.${m.notificationStatus}`, { defaultValue: m.notificationStatus })}</span>
            ) : null}
          </div>
          <div className="message-body">{m.body}</div>
          {m.attachments.length ? (
            <ul className="attachments">
              {m.attachments.map((a) => (
                <li key={a.id}>
                  <a href={`/service/attachments/${a.id}`} download={a.filename} rel="noopener">
                    {a.filename}
                  </a>{' '}
                  <span className="muted small">({sizeText(a.size)})</span>
                </li>
              ))}
            </ul>
          ) : null}
          {canSplit && m.kind === 'customer' && customerMessages > 1 ? (
            <Form method="post" className="message-actions">
              <CsrfInput />
              <input type="hidden" name="intent" value="split" />
              <input type="hidden" name="messageId" value={m.id} />
              <button type="submit" className="link">
                {t('service.split')}
              </button>
            </Form>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
