import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { nodeType, outputsOf } from '../../../plugins/index.ts';

export interface FlowNodeData extends Record<string, unknown> {
  type: string;
  label?: string;
  config: Record<string, unknown>;
  errors: number;
  /** Live run state when the canvas shows a run. */
  status?: 'waiting' | 'running' | 'done' | 'failed' | 'compensated' | 'skipped' | 'cancelled' | 'terminated';
  highlighted?: boolean;
}

/** One step on the canvas: its translated name, an input handle, one labelled handle per exit. */
export const FlowNode = memo(function FlowNode({ data, selected }: NodeProps) {
  const d = data as FlowNodeData;
  const { t } = useTranslation();
  const def = nodeType(d.type);
  let outputs: string[] = [];
  try {
    outputs = def ? outputsOf(def, def.config.parse(d.config)) : [];
  } catch {
    outputs = def && typeof def.outputs !== 'function' ? [...def.outputs] : [];
  }
  const compensated = def?.run.kind === 'activity' && !!def.run.compensation;
  const isTrigger = d.type === 'control.trigger';
  return (
    <div
      className={`flow-node cat-${def?.category ?? 'unknown'} ${selected ? 'selected' : ''} ${d.status ? `run-${d.status}` : ''} ${d.highlighted ? 'highlighted' : ''}`}
      data-testid={`flow-node-${d.type}`}
      data-status={d.status}
    >
      {isTrigger ? null : <Handle type="target" position={Position.Top} aria-label={t('designer.entryHandle')} />}
      <div className="flow-node-title">
        <span>{d.label || (def ? t(def.labelKey) : d.type)}</span>
        {d.errors ? (
          <span className="flow-node-errors" title={t('designer.errorsOnNode', { count: d.errors })}>
            {d.errors}
          </span>
        ) : null}
        {compensated ? <span className="flow-node-comp comp-icon" title={t('designer.hasCompensation')} aria-label={t('designer.hasCompensation')} /> : null}
      </div>
      <div className="flow-node-type">
        {def ? t(`nodeCategories.${def.category}`) : d.type}
        {d.status ? ` · ${t(`runStatus.${d.status}`)}` : ''}
      </div>
      <div className="flow-node-outputs">
        {outputs.map((h, i) => (
          <Handle
            key={h}
            id={h}
            type="source"
            position={Position.Bottom}
            style={{ left: `${((i + 1) / (outputs.length + 1)) * 100}%` }}
            className={`handle-${h}`}
            aria-label={t('designer.exitHandle', { handle: t(`handles.${h}`, { defaultValue: h }) })}
          >
            <span className="handle-label">{t(`handles.${h}`, { defaultValue: h })}</span>
          </Handle>
        ))}
      </div>
    </div>
  );
});
