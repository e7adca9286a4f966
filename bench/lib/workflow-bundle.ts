// The workflow bundle of the workflows bench: every production workflow, plus the baseline it measures the
// interpreter against. The baseline lives here, not in workflows/, so the production worker never registers it.
export * from '../../workflows/index.ts';
export { handWrittenOrder } from './hand-written-order.ts';
