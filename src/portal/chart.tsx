/**
 * Bar charts drawn on the server as SVG (no client-side chart code): one group of bars per point (a day, a
 * number, a user), one bar per series. The SVG is an image with a text alternative; the page shows the same
 * figures in a table beside it, which is what screen readers use.
 */
import type { FC } from "hono/jsx";

export interface ChartSeries {
  name: string;
  /** A colour with at least 3:1 contrast against white (WCAG 1.4.11). */
  color: string;
}

export interface ChartPoint {
  label: string;
  values: number[];
}

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 44;
const BOTTOM = 36;
const TOP = 12;

/** A round upper bound for the axis: 1, 2, 5 or 10 times a power of ten, at least the largest value (even, so the middle line is a whole count). */
export function axisMax(largest: number): number {
  if (largest <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(largest));
  return [1, 2, 5, 10, 20].map((m) => m * power).find((v) => v >= largest && v % 2 === 0)!;
}

export const BarChart: FC<{ title: string; series: ChartSeries[]; points: ChartPoint[] }> = ({ title, series, points }) => {
  const top = axisMax(Math.max(0, ...points.flatMap((p) => p.values)));
  const plotW = WIDTH - LEFT - 8;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = plotW / Math.max(points.length, 1);
  const bar = Math.max(1, Math.min(24, (slot * 0.8) / series.length));
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  // At most ~12 labels along the axis, so they never overlap.
  const every = Math.max(1, Math.ceil(points.length / 12));
  const summary = series.map((s, i) => `${s.name}: ${points.reduce((t, p) => t + (p.values[i] ?? 0), 0)}`).join(", ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}. ${summary}.`} xmlns="http://www.w3.org/2000/svg">
        {[0, 0.5, 1].map((f) => (
          <>
            <line x1={LEFT} x2={WIDTH - 8} y1={y(top * f)} y2={y(top * f)} stroke="#d0d7de" />
            <text x={LEFT - 6} y={y(top * f) + 4} text-anchor="end" font-size="11" fill="#545b64">
              {String(Math.round(top * f))}
            </text>
          </>
        ))}
        {points.map((p, i) => (
          <g>
            {series.map((s, j) => {
              const v = p.values[j] ?? 0;
              const x = LEFT + i * slot + (slot - bar * series.length) / 2 + j * bar;
              return (
                <rect x={x.toFixed(1)} y={y(v).toFixed(1)} width={bar.toFixed(1)} height={(TOP + plotH - y(v)).toFixed(1)} fill={s.color}>
                  <title>{`${p.label}: ${v} ${s.name}`}</title>
                </rect>
              );
            })}
            {i % every === 0 ? (
              <text x={(LEFT + i * slot + slot / 2).toFixed(1)} y={HEIGHT - BOTTOM + 16} text-anchor="middle" font-size="11" fill="#545b64">
                {p.label.length > 12 ? `${p.label.slice(0, 11)}…` : p.label}
              </text>
            ) : null}
          </g>
        ))}
      </svg>
      <figcaption>
        <span class="legend">
          {series.map((s) => (
            <span>
              <i style={`background:${s.color}`}></i>
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
    </figure>
  );
};
