// Where a Bun server's JavaScript heap goes, from a heap snapshot (JSC's inspector format): bytes by
// type of cell, and by the property that holds them (`Object.tokenHash -> string`: the strings that
// objects hold under `tokenHash`). bench/guard.ts writes it on SIGUSR2 when BENCH_HEAP_SNAPSHOT is set.

type Snapshot = { nodes: number[]; nodeClassNames: string[]; edges: number[]; edgeTypes: string[]; edgeNames: string[] };

/** The `top` biggest lines of each table, as text. */
export function heapSummary(top = 40): string {
  const s = Bun.generateHeapSnapshot() as unknown as Snapshot;
  const size = new Map<number, number>();
  const type = new Map<number, string>();
  const byType = new Map<string, [number, number]>();
  const add = (m: Map<string, [number, number]>, key: string, bytes: number) => {
    const a = m.get(key) ?? [0, 0];
    a[0]++;
    a[1] += bytes;
    m.set(key, a);
  };
  // nodes: [id, size, class name index, flags] per cell
  for (let i = 0; i < s.nodes.length; i += 4) {
    const id = s.nodes[i]!;
    const name = s.nodeClassNames[s.nodes[i + 2]!]!;
    size.set(id, s.nodes[i + 1]!);
    type.set(id, name);
    add(byType, name, s.nodes[i + 1]!);
  }
  // edges: [from id, to id, edge type index, name index or array index]
  const byHolder = new Map<string, [number, number]>();
  for (let i = 0; i < s.edges.length; i += 4) {
    const kind = s.edgeTypes[s.edges[i + 2]!];
    const name = kind === 'Property' || kind === 'Variable' ? s.edgeNames[s.edges[i + 3]!] : kind === 'Index' ? '[i]' : kind;
    const to = s.edges[i + 1]!;
    add(byHolder, `${type.get(s.edges[i]!)}.${name} -> ${type.get(to)}`, size.get(to) ?? 0);
  }
  const table = (m: Map<string, [number, number]>) =>
    [...m]
      .sort((a, b) => b[1][1] - a[1][1])
      .slice(0, top)
      .map(([key, [count, bytes]]) => `${(bytes / 2 ** 20).toFixed(2).padStart(8)} MiB ${String(count).padStart(9)}  ${key}`)
      .join('\n');
  return `By type of cell (MiB, cells):\n${table(byType)}\n\nBy holder and property (MiB of the cells held, references):\n${table(byHolder)}\n`;
}
