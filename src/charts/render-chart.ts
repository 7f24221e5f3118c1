import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderAsync } from '@resvg/resvg-js';
import {
  CANDIDATE_COLOUR,
  PRODUCTION_COLOUR,
  SERIES_COLOUR,
  formatValue,
  percent,
  type ChartSpec,
  type ConfusionMatrixSpec,
  type EndpointMetricsSpec,
  type TimePanel,
  type MetricTrendSpec,
  type TrendPanel,
} from './chart-spec';

/**
 * Draws a chart spec: SVG built here (pure string), rasterised to PNG by resvg (Rust, prebuilt
 * binaries from npm, off the event loop with renderAsync) with the bundled DejaVu Sans font only,
 * never the system's fonts, so the image is the same in the Docker image, on CI and on a laptop.
 */

const FONT_FAMILY = 'DejaVu Sans';
/** The font files shipped by the dejavu-fonts-ttf package (it has no exports map: resolve its folder). */
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const FONT_FILES = [join(FONT_DIR, 'DejaVuSans.ttf'), join(FONT_DIR, 'DejaVuSans-Bold.ttf')];

/** Bumped when the drawing changes, so cached renders of the old look are not reused. */
export const RENDERER_VERSION = 'svg-2';

const TEXT = '#212529';
const MUTED = '#868e96';
const GRID = '#e9ecef';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, opts: { size?: number; anchor?: 'start' | 'middle' | 'end'; fill?: string; bold?: boolean } = {}): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT_FAMILY}" font-size="${opts.size ?? 12}" text-anchor="${opts.anchor ?? 'start'}" fill="${opts.fill ?? TEXT}"${opts.bold === true ? ' font-weight="bold"' : ''}>${esc(s)}</text>`;
}

function svg(width: number, height: number, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#ffffff"/>${body.join('')}</svg>`;
}

/** The SVG of a spec (pure: the same spec always gives the same string). */
export function chartSvg(spec: ChartSpec): string {
  if (spec.kind === 'metric-trend') return trendSvg(spec);
  return spec.kind === 'confusion-matrix' ? heatmapSvg(spec) : endpointSvg(spec);
}

const PANEL_W = 440;
const PANEL_H = 210;

function trendSvg(spec: MetricTrendSpec): string {
  const columns = spec.panels.length > 2 ? 2 : spec.panels.length;
  const rows = Math.ceil(spec.panels.length / columns);
  const width = columns * PANEL_W + 20;
  const height = rows * PANEL_H + 70;
  const body = [text(16, 26, spec.title, { size: 16, bold: true })];
  const legendY = 48;
  body.push(
    `<circle cx="22" cy="${legendY - 4}" r="6" fill="${CANDIDATE_COLOUR}"/>`,
    text(34, legendY, `${spec.highlight === 'latest' ? 'newest' : 'candidate'} ${spec.versions[spec.candidateIndex]}`, { size: 12 }),
  );
  if (spec.productionIndex !== undefined)
    body.push(
      `<line x1="200" y1="${legendY - 10}" x2="200" y2="${legendY + 2}" stroke="${PRODUCTION_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>`,
      text(208, legendY, `production ${spec.versions[spec.productionIndex]}`, { size: 12 }),
    );
  body.push(text(width - 16, legendY, 'up is better on every panel', { size: 11, anchor: 'end', fill: MUTED }));
  spec.panels.forEach((panel, i) => body.push(trendPanel(spec, panel, 10 + (i % columns) * PANEL_W, 60 + Math.floor(i / columns) * PANEL_H)));
  return svg(width, height, body);
}

function trendPanel(spec: MetricTrendSpec, panel: TrendPanel, x0: number, y0: number): string {
  const left = x0 + 56;
  const right = x0 + PANEL_W - 16;
  const top = y0 + 30;
  const bottom = y0 + PANEL_H - 40;
  const out: string[] = [
    text(x0 + 10, y0 + 18, `${panel.metric}${panel.primary ? ' (primary)' : ''}: ${panel.direction === 'maximize' ? 'higher' : 'lower'} is better`, {
      size: 13,
      bold: panel.primary,
    }),
  ];
  const present = panel.values.filter((v): v is number => v !== null);
  let lo = Math.min(...present);
  let hi = Math.max(...present);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi - lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const n = spec.versions.length;
  const xOf = (i: number): number => (n === 1 ? (left + right) / 2 : left + ((right - left) * i) / (n - 1));
  // Up is always better: a metric to minimise is drawn on an inverted axis.
  const yOf = (v: number): number => {
    const t = (v - lo) / (hi - lo);
    return panel.direction === 'maximize' ? bottom - t * (bottom - top) : top + t * (bottom - top);
  };
  for (let k = 0; k <= 3; k++) {
    const v = lo + ((hi - lo) * k) / 3;
    const y = yOf(v);
    out.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${right}" y2="${y.toFixed(1)}" stroke="${GRID}" stroke-width="1"/>`);
    out.push(text(left - 6, y + 4, formatValue(v), { size: 10, anchor: 'end', fill: MUTED }));
  }
  if (spec.productionIndex !== undefined) {
    const x = xOf(spec.productionIndex);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="${PRODUCTION_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>`,
    );
  }
  // Versions on the x axis: every one when they fit, else every other (the candidate's always).
  const step = n > 8 ? 2 : 1;
  spec.versions.forEach((v, i) => {
    if (i % step !== 0 && i !== spec.candidateIndex) return;
    out.push(
      text(xOf(i), bottom + 16, v, { size: 10, anchor: 'middle', fill: i === spec.candidateIndex ? CANDIDATE_COLOUR : MUTED, bold: i === spec.candidateIndex }),
    );
  });
  const points = panel.values.map((v, i) => (v === null ? undefined : { x: xOf(i), y: yOf(v), v, i })).filter((p) => p !== undefined);
  if (points.length > 1)
    out.push(
      `<polyline fill="none" stroke="${SERIES_COLOUR}" stroke-width="2" points="${points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}"/>`,
    );
  for (const p of points) {
    if (p.i === spec.candidateIndex) {
      out.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="7" fill="${CANDIDATE_COLOUR}" stroke="#ffffff" stroke-width="2"/>`);
      out.push(text(p.x, p.y - 12, formatValue(p.v), { size: 11, anchor: 'middle', fill: CANDIDATE_COLOUR, bold: true }));
    } else out.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="3.5" fill="${SERIES_COLOUR}"/>`);
  }
  return out.join('');
}

const CELL = 56;

/** White to blue by the share of the row (so a rare class's errors show as clearly as a common one's). */
function cellColour(share: number): string {
  const t = Math.max(0, Math.min(1, share));
  const mix = (from: number, to: number): number => Math.round(from + (to - from) * t);
  return `rgb(${mix(247, 8)},${mix(251, 69)},${mix(255, 148)})`;
}

function heatmapSvg(spec: ConfusionMatrixSpec): string {
  const n = spec.panels[0]?.labels.length ?? 0;
  const cell = n > 8 ? Math.max(24, Math.floor((CELL * 8) / n)) : CELL;
  const labelW = 110;
  const panelW = labelW + n * cell + 90;
  // Wide enough for the title when one small matrix is alone.
  const width = Math.max(480, spec.panels.length * panelW + 20);
  const height = 90 + n * cell + 60;
  const body = [text(16, 26, spec.title, { size: 16, bold: true })];
  spec.panels.forEach((panel, k) => {
    const x0 = 10 + k * panelW;
    const gx = x0 + labelW;
    const gy = 90;
    body.push(text(x0 + 6, 56, panel.title, { size: 14, bold: true, fill: panel.role === 'candidate' ? CANDIDATE_COLOUR : PRODUCTION_COLOUR }));
    body.push(text(gx + (n * cell) / 2, gy - 22, 'predicted', { size: 10, anchor: 'middle', fill: MUTED }));
    body.push(text(gx + n * cell + 44, gy - 8, 'recall', { size: 11, anchor: 'middle', fill: MUTED }));
    panel.labels.forEach((label, i) => {
      body.push(text(gx - 6, gy + i * cell + cell / 2 + 4, truncate(label, 14), { size: 11, anchor: 'end' }));
      body.push(text(gx + i * cell + cell / 2, gy - 8, truncate(label, Math.max(3, Math.floor(cell / 7))), { size: 10, anchor: 'middle' }));
      const row = panel.matrix[i] ?? [];
      const total = row.reduce((a, b) => a + b, 0);
      row.forEach((count, j) => {
        const share = total === 0 ? 0 : count / total;
        const x = gx + j * cell;
        const y = gy + i * cell;
        body.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${cellColour(share)}" stroke="#ffffff" stroke-width="1"/>`);
        if (cell >= 28) body.push(text(x + cell / 2, y + cell / 2 + 4, String(count), { size: 11, anchor: 'middle', fill: share > 0.5 ? '#ffffff' : TEXT }));
      });
      const recall = panel.recall[i];
      body.push(
        text(gx + n * cell + 44, gy + i * cell + cell / 2 + 4, recall === null || recall === undefined ? 'n/a' : percent(recall), {
          size: 11,
          anchor: 'middle',
        }),
      );
    });
    body.push(text(gx + (n * cell) / 2, gy + n * cell + 18, 'rows: true class; colour: share of the row', { size: 10, anchor: 'middle', fill: MUTED }));
  });
  return svg(width, height, body);
}

const LINE_COLOURS = [SERIES_COLOUR, '#c2255c'];

function endpointSvg(spec: EndpointMetricsSpec): string {
  const width = 2 * PANEL_W + 20;
  const height = 2 * PANEL_H + 70;
  const body = [text(16, 26, spec.title, { size: 16, bold: true })];
  body.push(text(width - 16, 26, `${spec.from.slice(0, 16).replace('T', ' ')} to ${spec.to.slice(11, 16)} UTC`, { size: 11, anchor: 'end', fill: MUTED }));
  if (spec.markers.length > 0)
    body.push(
      `<line x1="16" y1="38" x2="16" y2="50" stroke="${PRODUCTION_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>`,
      text(24, 48, 'deployment', { size: 12 }),
    );
  spec.panels.forEach((panel, i) => body.push(timePanel(spec, panel, 10 + (i % 2) * PANEL_W, 60 + Math.floor(i / 2) * PANEL_H)));
  return svg(width, height, body);
}

function timePanel(spec: EndpointMetricsSpec, panel: TimePanel, x0: number, y0: number): string {
  const left = x0 + 56;
  const right = x0 + PANEL_W - 16;
  const top = y0 + 30;
  const bottom = y0 + PANEL_H - 40;
  const out: string[] = [text(x0 + 10, y0 + 18, panel.title, { size: 13, bold: true })];
  const values = panel.lines.flatMap((l) => l.points.map((p) => p.value));
  const hi = values.length === 0 ? 1 : Math.max(...values, panel.unit === 'percent' ? 1 : 0) * 1.1 || 1;
  const xOf = (minute: number): number => left + ((right - left) * minute) / spec.minutes;
  const yOf = (v: number): number => bottom - (v / hi) * (bottom - top);
  for (let k = 0; k <= 3; k++) {
    const v = (hi * k) / 3;
    out.push(`<line x1="${left}" y1="${yOf(v).toFixed(1)}" x2="${right}" y2="${yOf(v).toFixed(1)}" stroke="${GRID}" stroke-width="1"/>`);
    out.push(text(left - 6, yOf(v) + 4, formatValue(v), { size: 10, anchor: 'end', fill: MUTED }));
  }
  for (let k = 0; k <= 4; k++) {
    const minute = (spec.minutes * k) / 4;
    const ago = spec.minutes - minute;
    const label = ago === 0 ? 'now' : ago >= 120 ? `-${(ago / 60).toFixed(ago % 60 === 0 ? 0 : 1)} h` : `-${Math.round(ago)} min`;
    out.push(text(xOf(minute), bottom + 16, label, { size: 10, anchor: 'middle', fill: MUTED }));
  }
  for (const m of spec.markers) {
    const x = xOf(m.minute);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="${PRODUCTION_COLOUR}" stroke-width="2" stroke-dasharray="4 3"/>`,
    );
  }
  if (values.length === 0) out.push(text((left + right) / 2, (top + bottom) / 2, 'no data', { size: 12, anchor: 'middle', fill: MUTED }));
  panel.lines.forEach((line, i) => {
    const colour = LINE_COLOURS[i % LINE_COLOURS.length] ?? SERIES_COLOUR;
    if (line.points.length > 1)
      out.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${line.points.map((p) => `${xOf(p.minute).toFixed(1)},${yOf(p.value).toFixed(1)}`).join(' ')}"/>`,
      );
    else for (const p of line.points) out.push(`<circle cx="${xOf(p.minute).toFixed(1)}" cy="${yOf(p.value).toFixed(1)}" r="3" fill="${colour}"/>`);
    if (panel.lines.length > 1) {
      const lx = right - 200 + i * 100;
      out.push(`<rect x="${lx}" y="${y0 + 9}" width="10" height="10" fill="${colour}"/>`, text(lx + 14, y0 + 18, line.label, { size: 11 }));
    }
  });
  return out.join('');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** PNG bytes of a spec, rendered off the event loop. Throws when the bundled font is missing (resvg would silently draw no text). */
export async function renderChartPng(spec: ChartSpec): Promise<Buffer> {
  const missing = FONT_FILES.find((f) => !existsSync(f));
  if (missing !== undefined) throw new Error(`chart font missing: ${missing}`);
  const image = await renderAsync(chartSvg(spec), {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'original' },
    background: '#ffffff',
  });
  return image.asPng();
}
