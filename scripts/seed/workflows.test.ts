import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../app/modules/workflows/validate.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import { SEED_FLOWS } from './workflows.ts';

describe('seeded workflows', () => {
  for (const flow of SEED_FLOWS) {
    it(`"${flow.name}" passes validation and compiles`, () => {
      expect(validateGraph(flow.graph)).toEqual([]);
      const compiled = compileGraph(flow.graph);
      expect(compiled.ok).toBe(true);
    });

    it(`"${flow.name}" is triggered by its binding's event and laid out top to bottom`, () => {
      const trigger = flow.graph.nodes.find((n) => n.type === 'control.trigger')!;
      expect(trigger.data.config?.event).toBe(flow.event);
      expect(trigger.position.y).toBe(0);
      // Every wire goes downwards, and no two steps share a spot on the canvas.
      const at = new Map(flow.graph.nodes.map((n) => [n.id, n.position]));
      for (const e of flow.graph.edges) expect(at.get(e.target)!.y, e.id).toBeGreaterThan(at.get(e.source)!.y);
      expect(new Set(flow.graph.nodes.map((n) => `${n.position.x},${n.position.y}`)).size).toBe(flow.graph.nodes.length);
      expect(new Set(flow.graph.edges.map((e) => e.id)).size).toBe(flow.graph.edges.length);
    });
  }
});

describe('seeded step names', () => {
  it('name every labelled step in English, 简体中文 and 繁體中文', () => {
    for (const flow of SEED_FLOWS)
      for (const n of flow.graph.nodes) {
        if (!n.data.label) continue;
        expect(n.data.labels?.en, `${flow.key}/${n.id}`).toBe(n.data.label);
        expect(n.data.labels?.['zh-CN'], `${flow.key}/${n.id}`).toMatch(/[\u4e00-\u9fff]/);
        expect(n.data.labels?.['zh-TW'], `${flow.key}/${n.id}`).toMatch(/[\u4e00-\u9fff]/);
      }
  });
});
