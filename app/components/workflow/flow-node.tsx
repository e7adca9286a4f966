import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { nodeType, outputsOf } from '../../../plugins/index.ts';
import { NodeIcon } from './node-icon.tsx';

/** The step's key settings in a line ("2h", "ops_manager"): its first few plain values, each in the reader's words. */
function keySettings(config: Record<string, unknown>, t: (k: string, o?: Record<string, unknown>) => string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (parts.length >= 2) break;
    if (typeof v === 'string' && v.trim() && v.length <= 40 && !v.includes('\n')) parts.push(t(`configValues.${v}`, { defaultValue: v }));
    else if (typeof v === 'number') parts.push(`${t(`configFields.${k}`, { defaultValue: k })} ${v}`);
    else if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string') && v.join(', ').length <= 40)
      parts.push(v.map((x) => t(`roles.${x}`, { defaultValue: t(`configValues.${x}`, { defaultValue: x }) })).join(', '));
  }
  return parts.join(' · ');
}

export interface FlowNodeData extends Record<string, unknown> {
  type: string;
  label?: string;
  /** The step's name per language. */
  labels?: Partial<Record<string, string>>;
  config: Record<string, unknown>;
  errors: number;
  /** Live run state when the canvas shows a run. */
  status?: 'waiting' | 'running' | 'done' | 'failed' | 'compensated' | 'skipped' | 'cancelled' | 'terminated';
  highlighted?: boolean;
}

/** One step on the canvas: its translated name, an input handle, one labelled handle per exit. */
export const FlowNode = memo(function FlowNode({ data, selected }: NodeProps) {
  const d = data as FlowNodeData;
  const { t, i18n } = useTranslation();
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
      {isTrigger ? null : <Handle type="target" position={Position.Top} role="button" aria-label={t('designer.entryHandle')} />}
      <div className="flow-node-title">
        <NodeIcon type={d.type} category={def?.category} />
        <span>{d.labels?.[i18n.language] || d.label || (def ? t(def.labelKey) : d.type)}</span>
        {d.errors ? (
          <span className="flow-node-errors" title={t('designer.errorsOnNode', { count: d.errors })}>
            {d.errors}
          </span>
        ) : null}
        {compensated ? (
          <span className="flow-node-comp comp-icon" role="img" title={t('designer.hasCompensation')} aria-label={t('designer.hasCompensation')} />
        ) : null}
      </div>
      <div className="flow-node-type">
        {d.status ? t(`runStatus.${d.status}`) : keySettings(d.config ?? {}, t) || (def ? t(`nodeCategories.${def.category}`) : d.type)}
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
            role="button"
            aria-label={t('designer.exitHandle', { handle: t(`handles.${h}`, { defaultValue: h }) })}
          >
            <span className="handle-label">{t(`handles.${h}`, { defaultValue: h })}</span>
          </Handle>
        ))}
      </div>
    </div>
  );
});
