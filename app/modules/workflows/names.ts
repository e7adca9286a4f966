// A flow's name and description in the reader's language (its translations), else as it was named.
import type { FlowTranslations } from '../../../entities/workflows.ts';

export function flowName(flow: { name: string; translations?: FlowTranslations | null }, lang: string): string {
  return flow.translations?.[lang as keyof FlowTranslations]?.name?.trim() || flow.name;
}

export function flowDescription(flow: { description: string | null; translations?: FlowTranslations | null }, lang: string): string | null {
  return flow.translations?.[lang as keyof FlowTranslations]?.description?.trim() || flow.description;
}
