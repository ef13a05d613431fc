// Turns bench results into the Markdown table and the SVG chart in bench/results/.

export type Row = {
  scenario: string;
  server: string;
  members: string;
  offered: string;
  throughput: string;
  p50: string;
  p99: string;
  max: string;
  errors: string;
  lost: string;
  cpu: string;
  /** Server CPU-µs per delivered frame (in Redis mode: mayfly's or the peer's and redis-server's together). */
  cpuUs: string;
  rss: string;
  notes: string;
};

export type TargetCheck = { scenario: string; target: string; measured: string; pass: boolean | null };

/** Numbers the chart needs, per scenario: mayfly and its reference (same-bytes raw, or memory mode for Redis). */
export type ChartPoint = {
  label: string;
  ratio: number | null;
  target: number | null;
  p99: number | null;
  refP99: number | null;
  refName: string;
};

export type Report = {
  title: string;
  mode: 'full' | 'quick';
  startedAt: string;
  seconds: number;
  machine: string;
  limits: string;
  rows: Row[];
  targets: TargetCheck[];
  chart: ChartPoint[];
  method: string[];
};

const esc = (s: string) => s.replace(/\|/g, '\\|');

export function markdown(r: Report): string {
  const lines: string[] = [];
  lines.push(`# ${r.title}`, '');
  lines.push(
    `${r.mode === 'quick' ? '**Quick sanity pass** (small counts, short windows): the figures are not a measurement; the targets are for the full run. ' : ''}Run ${r.startedAt}, ${r.seconds.toFixed(0)} s. ${r.machine}`,
    '',
  );
  lines.push(r.limits, '');
  lines.push('## Results', '');
  lines.push(
    '| Scenario | Server | Members | Offered/s | Throughput | p50 ms | p99 ms | max ms | Errors | Lost | Server CPU | CPU µs/deliv | RSS MiB | Notes |',
  );
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const row of r.rows) {
    lines.push(
      `| ${[row.scenario, row.server, row.members, row.offered, row.throughput, row.p50, row.p99, row.max, row.errors, row.lost, row.cpu, row.cpuUs, row.rss, row.notes].map(esc).join(' | ')} |`,
    );
  }
  lines.push('', '## Targets', '');
  lines.push('| Scenario | Target | Measured | Result |');
  lines.push('|---|---|---|---|');
  for (const t of r.targets) {
    lines.push(
      `| ${esc(t.scenario)} | ${esc(t.target)} | ${esc(t.measured)} | ${t.pass === null ? 'n/a' : t.pass ? 'PASS' : '**FAIL**'} |`,
    );
  }
  lines.push('', '## Method', '');
  for (const m of r.method) lines.push(`- ${m}`);
  lines.push('');
  return lines.join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels: mayfly's throughput as a share of its reference, and p99 latency side by side (log scale). */
export function svg(r: Report): string {
  const pts = r.chart;
  const rowH = 34;
  const top = 70;
  const labelW = 190;
  const panelW = 360;
  const gap = 80;
  const width = labelW + panelW * 2 + gap + 130;
  const height = top + pts.length * rowH + 60;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="600">${xml(r.title)}${r.mode === 'quick' ? ' (quick pass)' : ''}</text>`);
  const x1 = labelW;
  const x2 = labelW + panelW + gap;
  out.push(`<text x="${x1}" y="48" font-weight="600">deliveries/s, mayfly as % of reference</text>`);
  out.push(`<text x="${x2}" y="48" font-weight="600">p99 delivery latency, ms (log scale)</text>`);
  // Panel 1: 0..150 %.
  const maxPct = 150;
  const px = (pct: number) => x1 + (Math.min(pct, maxPct) / maxPct) * panelW;
  for (const g of [0, 50, 100, 150]) {
    out.push(
      `<line x1="${px(g)}" y1="${top - 8}" x2="${px(g)}" y2="${top + pts.length * rowH}" stroke="${g === 100 ? '#888' : '#ddd'}" stroke-dasharray="${g === 100 ? '4 3' : ''}"/>`,
    );
    out.push(`<text x="${px(g)}" y="${top + pts.length * rowH + 16}" text-anchor="middle" fill="#555">${g}%</text>`);
  }
  // Panel 2: log10 ms from 0.1 to 10 s.
  const lo = -1;
  const hi = 4;
  const lx = (ms: number) => x2 + ((Math.min(Math.max(Math.log10(Math.max(ms, 0.1)), lo), hi) - lo) / (hi - lo)) * panelW;
  for (const g of [0.1, 1, 10, 100, 1000, 10000]) {
    out.push(`<line x1="${lx(g)}" y1="${top - 8}" x2="${lx(g)}" y2="${top + pts.length * rowH}" stroke="#ddd"/>`);
    out.push(`<text x="${lx(g)}" y="${top + pts.length * rowH + 16}" text-anchor="middle" fill="#555">${g}</text>`);
  }
  pts.forEach((p, i) => {
    const y = top + i * rowH;
    out.push(`<text x="12" y="${y + 16}">${xml(p.label)}</text>`);
    if (p.ratio !== null) {
      const pct = p.ratio * 100;
      const fill = p.target === null ? '#8fa9c9' : p.ratio >= p.target ? '#3a7d44' : '#c0392b';
      out.push(`<rect x="${x1}" y="${y + 4}" width="${Math.max(1, px(pct) - x1)}" height="18" fill="${fill}"/>`);
      out.push(`<text x="${px(pct) + 4}" y="${y + 17}" fill="#222">${pct.toFixed(0)}%${pct > maxPct ? ' ›' : ''}</text>`);
      if (p.target !== null)
        out.push(
          `<line x1="${px(p.target * 100)}" y1="${y + 1}" x2="${px(p.target * 100)}" y2="${y + 25}" stroke="#000" stroke-width="2"/>`,
        );
    } else out.push(`<text x="${x1 + 4}" y="${y + 17}" fill="#777">—</text>`);
    if (p.p99 !== null) {
      out.push(`<rect x="${x2}" y="${y + 3}" width="${Math.max(1, lx(p.p99) - x2)}" height="10" fill="#2e6da4"/>`);
      out.push(
        `<text x="${lx(p.p99) + 4}" y="${y + 12}" font-size="10">mayfly ${p.p99 < 100 ? p.p99.toFixed(2) : p.p99.toFixed(0)}</text>`,
      );
    }
    if (p.refP99 !== null) {
      out.push(`<rect x="${x2}" y="${y + 15}" width="${Math.max(1, lx(p.refP99) - x2)}" height="10" fill="#aaa"/>`);
      out.push(
        `<text x="${lx(p.refP99) + 4}" y="${y + 24}" font-size="10">${xml(p.refName)} ${p.refP99 < 100 ? p.refP99.toFixed(2) : p.refP99.toFixed(0)}</text>`,
      );
    }
  });
  const ly = top + pts.length * rowH + 40;
  out.push(`<rect x="${x1}" y="${ly - 10}" width="12" height="12" fill="#3a7d44"/><text x="${x1 + 16}" y="${ly}">meets its target</text>`);
  out.push(`<rect x="${x1 + 130}" y="${ly - 10}" width="12" height="12" fill="#c0392b"/><text x="${x1 + 146}" y="${ly}">misses it</text>`);
  out.push(
    `<line x1="${x1 + 230}" y1="${ly - 11}" x2="${x1 + 230}" y2="${ly + 2}" stroke="#000" stroke-width="2"/><text x="${x1 + 236}" y="${ly}">target</text>`,
  );
  out.push(
    `<rect x="${x1}" y="${ly + 8}" width="12" height="12" fill="#8fa9c9"/><text x="${x1 + 16}" y="${ly + 18}">no throughput target (see the table)</text>`,
  );
  out.push(`<rect x="${x2}" y="${ly - 10}" width="12" height="12" fill="#2e6da4"/><text x="${x2 + 16}" y="${ly}">mayfly</text>`);
  out.push(`<rect x="${x2 + 80}" y="${ly - 10}" width="12" height="12" fill="#aaa"/><text x="${x2 + 96}" y="${ly}">reference</text>`);
  out.push('</svg>');
  return out.join('\n');
}
