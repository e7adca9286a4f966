// The designer's graph as a JSON file: downloaded, or read back in (replacing the canvas).
import { useState } from 'react';
import type { Graph } from '../../../workflows/graph.ts';

export function useImportExport({
  definition,
  graph,
  replaceGraph,
}: {
  definition: { key: string; name: string };
  graph: Graph;
  replaceGraph: (g: Graph) => void;
}) {
  const [importError, setImportError] = useState<string | null>(null);
  const exportJson = () => {
    const blob = new Blob([JSON.stringify({ key: definition.key, name: definition.name, graph }, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${definition.key}.json`;
    a.click();
  };
  const importJson = async (file: File) => {
    setImportError(null);
    try {
      const parsed = JSON.parse(await file.text());
      const g = (parsed.graph ?? parsed) as Graph;
      if (!Array.isArray(g.nodes) || !Array.isArray(g.edges)) throw new Error('no nodes/edges');
      replaceGraph(g);
    } catch (e) {
      setImportError((e as Error).message);
    }
  };
  return { importError, exportJson, importJson };
}

export type ImportExportState = ReturnType<typeof useImportExport>;
