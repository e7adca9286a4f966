// Plain value lists shared by entities, server code and the browser. No ORM imports here:
// the client bundle imports this file.
export const ROLES = ['admin', 'ops_manager', 'agent', 'warehouse', 'executive'] as const;
export type Role = (typeof ROLES)[number];

export const LOCALES = ['en', 'zh-CN', 'zh-TW'] as const;
export type Locale = (typeof LOCALES)[number];
