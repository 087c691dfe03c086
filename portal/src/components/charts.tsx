/** Plain SVG charts: no chart library, and each chart is an image with a text alternative. */
import { Text } from '@mantine/core';
import { utilSegments, utilisationSummary, type Utilisation } from './common';

export function BarChart({
  title,
  data,
}: {
  title: string;
  data: { label: string; value: number; color: string }[];
}) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const row = 30;
  const labelW = 110;
  const width = 520;
  const barW = width - labelW - 90;
  const summary = data.map((d) => `${d.label} ${d.value.toLocaleString('en-GB')}`).join(', ');
  return (
    <svg
      viewBox={`0 0 ${width} ${data.length * row + 8}`}
      width="100%"
      role="img"
      aria-label={`${title}: ${summary}`}
      style={{ maxWidth: width }}
    >
      <title>{`${title}: ${summary}`}</title>
      {data.map((d, i) => {
        const w = (barW * d.value) / max;
        const y = i * row + 4;
        return (
          <g key={d.label}>
            <text x={0} y={y + 17} fontSize={13} fill="#212529">
              {d.label}
            </text>
            <rect
              x={labelW}
              y={y + 3}
              width={Math.max(w, d.value ? 2 : 0)}
              height={20}
              rx={3}
              fill={d.color}
            />
            <text x={labelW + w + 6} y={y + 17} fontSize={13} fill="#212529">
              {d.value.toLocaleString('en-GB')}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** One stacked bar per item (site or range), scaled to 100%. */
export function StackedBars({
  title,
  items,
}: {
  title: string;
  items: { label: string; u: Utilisation }[];
}) {
  if (items.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        Nothing to show yet.
      </Text>
    );
  }
  const row = 30;
  const labelW = 150;
  const width = 560;
  const barW = width - labelW - 60;
  const summary = items.map((it) => `${it.label}: ${utilisationSummary(it.u)}`).join('; ');
  return (
    <svg
      viewBox={`0 0 ${width} ${items.length * row + 8}`}
      width="100%"
      role="img"
      aria-label={`${title}. ${summary}`}
      style={{ maxWidth: width }}
    >
      <title>{`${title}. ${summary}`}</title>
      {items.map((it, i) => {
        const y = i * row + 4;
        let x = labelW;
        const used = it.u.total ? (100 * (it.u.total - it.u.available)) / it.u.total : 0;
        return (
          <g key={it.label}>
            <text x={0} y={y + 17} fontSize={13} fill="#212529">
              {it.label.length > 20 ? `${it.label.slice(0, 19)}…` : it.label}
            </text>
            <rect x={labelW} y={y + 3} width={barW} height={20} rx={3} fill="#e9ecef" />
            {utilSegments.map((s) => {
              const w = it.u.total ? (barW * it.u[s.key]) / it.u.total : 0;
              const el =
                w > 0 ? (
                  <rect key={s.key} x={x} y={y + 3} width={w} height={20} fill={s.color} />
                ) : null;
              x += w;
              return el;
            })}
            <text x={labelW + barW + 6} y={y + 17} fontSize={13} fill="#212529">
              {used.toFixed(0)}%
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export interface HistoryPoint {
  day: string;
  total: number;
  available: number;
  coolingOff: number;
  reserved: number;
  active: number;
  assigned: number;
}

/** 15 Jan 2026 from 2026-01-15, whatever the browser's time zone. */
export const formatDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });

const inUse = (p: HistoryPoint) => p.total - p.available;
const share = (p: HistoryPoint) => (p.total ? (100 * inUse(p)) / p.total : 0);

/**
 * Utilisation over time: one stacked column per day with a snapshot (states
 * in the utilisation colours), numbers on the y axis, days placed by date so
 * a gap in the snapshots shows as a gap. The text alternative gives the first
 * and last day and the lowest and highest share in use.
 */
export function HistoryChart({ title, points }: { title: string; points: HistoryPoint[] }) {
  const width = 880;
  const height = 240;
  const left = 56;
  const right = 12;
  const bottom = 26;
  const top = 10;
  const plotW = width - left - right;
  const plotH = height - bottom - top;
  const max = Math.max(1, ...points.map((p) => p.total));
  const first = points[0]!;
  const last = points.at(-1)!;
  const shares = points.map(share);
  const summary =
    `${points.length} ${points.length === 1 ? 'day' : 'days'} from ${formatDay(first.day)} to ${formatDay(last.day)}; ` +
    `in use ${share(first).toFixed(1)}% (${inUse(first).toLocaleString('en-GB')} of ${first.total.toLocaleString('en-GB')}) on the first day, ` +
    `${share(last).toFixed(1)}% (${inUse(last).toLocaleString('en-GB')} of ${last.total.toLocaleString('en-GB')}) on the last; ` +
    `lowest ${Math.min(...shares).toFixed(1)}%, highest ${Math.max(...shares).toFixed(1)}%`;
  const dayNo = (d: string) => Math.round(Date.parse(`${d}T00:00:00Z`) / 86_400_000);
  const start = dayNo(first.day);
  const span = dayNo(last.day) - start + 1;
  const slot = plotW / span;
  const colW = Math.max(1, Math.min(36, slot * 0.7));
  const cx = (p: HistoryPoint) => left + (dayNo(p.day) - start) * slot + slot / 2;
  const y = (v: number) => top + plotH - (plotH * v) / max;
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  // About seven day labels, always the last; kept inside the plot.
  const every = Math.max(1, Math.ceil(points.length / 7));
  const labelled = points.filter((_, i) => i === points.length - 1 || i % every === 0);
  const labelX = (p: HistoryPoint) => Math.min(width - right - 36, Math.max(left + 36, cx(p)));
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      role="img"
      aria-label={`${title}: ${summary}`}
      style={{ maxWidth: width }}
      data-testid="history-chart"
    >
      <title>{`${title}: ${summary}`}</title>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={left} x2={width - right} y1={y(v)} y2={y(v)} stroke="#dee2e6" />
          <text x={left - 6} y={y(v) + 4} fontSize={12} fill="#495057" textAnchor="end">
            {v.toLocaleString('en-GB')}
          </text>
        </g>
      ))}
      {points.map((p) => {
        const x = cx(p) - colW / 2;
        let acc = 0;
        return (
          <g key={p.day} data-day={p.day}>
            {utilSegments.map((s) => {
              const v = p[s.key];
              if (v <= 0) return null;
              const rect = (
                <rect
                  key={s.key}
                  x={x}
                  y={y(acc + v)}
                  width={colW}
                  height={y(acc) - y(acc + v)}
                  fill={s.color}
                />
              );
              acc += v;
              return rect;
            })}
          </g>
        );
      })}
      {labelled.map((p) => (
        <text
          key={p.day}
          x={labelX(p)}
          y={height - 8}
          fontSize={12}
          fill="#495057"
          textAnchor="middle"
        >
          {formatDay(p.day)}
        </text>
      ))}
    </svg>
  );
}
