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
