// The designer's "what if": the simulation form (a real order, or a pasted trigger payload) and its run
// against the graph on the canvas, saved or not.
import { useFetcher } from '@remix-run/react';
import { useState, type FormEvent } from 'react';
import type { BindingEvent } from '../../../entities/workflows.ts';
import type { Graph } from '../../../workflows/graph.ts';
import { EXAMPLE_PAYLOADS } from '../../modules/workflows/examples.ts';
import { useRootData } from '../../root.tsx';
import type { DesignerActionData } from './types.ts';

/** `draft` (as loaded) picks the example payload for its trigger's event; `graph` (as on the canvas) is what runs. */
export function useSimulation(draft: Graph, graph: Graph) {
  const root = useRootData();
  const simulator = useFetcher<DesignerActionData>();
  const triggerEvent = String(draft.nodes.find((n) => n.type === 'control.trigger')?.data?.config?.event ?? 'manual') as BindingEvent;
  const [order, setOrder] = useState('');
  const [payload, setPayload] = useState(() => JSON.stringify(EXAMPLE_PAYLOADS[triggerEvent] ?? {}, null, 2));
  const [approve, setApprove] = useState(true);
  const [signals, setSignals] = useState(true);
  const run = (e: FormEvent) => {
    e.preventDefault();
    simulator.submit(
      {
        intent: 'simulate',
        graph: JSON.stringify(graph),
        order,
        payload: order ? '' : payload,
        approve: String(approve),
        signals: String(signals),
        _csrf: root?.csrf ?? '',
      },
      { method: 'post' },
    );
  };
  return { simulator, simulation: simulator.data?.simulation, order, setOrder, payload, setPayload, approve, setApprove, signals, setSignals, run };
}

export type SimulationState = ReturnType<typeof useSimulation>;
