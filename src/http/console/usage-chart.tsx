/** @jsxImportSource hono/jsx */
// A key's usage as server-rendered SVG bar charts (no script, no front-end build): tokens minted, proxied calls by
// status class and refusals by reason, per UTC hour or day, each chart captioned with its totals in words.
import type { FC } from 'hono/jsx';

/** One step of the series (the shape core's usage series has). */
export interface ChartPoint {
  start: string;
  tokens: number;
  calls: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
  refusals: Record<'invalid_credentials' | 'rate_limited' | 'quota_exceeded', number>;
}

export interface ChartSeries {
  granularity: 'hour' | 'day';
  points: ChartPoint[];
}

interface Band {
  label: string;
  /** A fill with at least 3:1 contrast against the white panel (WCAG 1.4.11). */
  colour: string;
  value: (point: ChartPoint) => number;
}

interface Chart {
  id: string;
  title: string;
  bands: Band[];
}

const CHARTS: Chart[] = [
  { id: 'tokens', title: 'Session tokens minted', bands: [{ label: 'tokens', colour: '#2358c8', value: (point) => point.tokens }] },
  {
    id: 'calls',
    title: 'Proxied calls by status',
    bands: [
      { label: '2xx', colour: '#167a3d', value: (point) => point.calls['2xx'] },
      { label: '3xx', colour: '#2358c8', value: (point) => point.calls['3xx'] },
      { label: '4xx', colour: '#a15c00', value: (point) => point.calls['4xx'] },
      { label: '5xx', colour: '#b42318', value: (point) => point.calls['5xx'] },
    ],
  },
  {
    id: 'refusals',
    title: 'Refusals',
    bands: [
      { label: 'invalid credentials', colour: '#6d28d9', value: (point) => point.refusals.invalid_credentials },
      { label: 'rate limited', colour: '#a15c00', value: (point) => point.refusals.rate_limited },
      { label: 'quota exceeded', colour: '#b42318', value: (point) => point.refusals.quota_exceeded },
    ],
  },
];

const WIDTH = 720;
const HEIGHT = 150;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;

/** "14:00" for an hour, "12-02" for a day: UTC, as the series is. */
function stepLabel(start: string, granularity: ChartSeries['granularity']): string {
  return granularity === 'hour' ? `${start.slice(11, 13)}:00` : start.slice(5, 10);
}

/** A round top for the y axis: 1, 2, 5 × 10ⁿ at or above the largest stack. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value)!;
}

const BarChart: FC<{ chart: Chart; series: ChartSeries }> = ({ chart, series }) => {
  const { points, granularity } = series;
  const totals = chart.bands.map((band) => points.reduce((sum, point) => sum + band.value(point), 0));
  const top = niceCeiling(Math.max(0, ...points.map((point) => chart.bands.reduce((sum, band) => sum + band.value(point), 0))));
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(points.length, 1);
  const barWidth = Math.max(1, slot * 0.75);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const ticks = points.length <= 1 ? [0] : [0, Math.floor((points.length - 1) / 2), points.length - 1];
  const titleId = `usage-${chart.id}-title`;
  const summary = chart.bands.map((band, index) => `${band.label} ${totals[index]}`).join(', ');
  return (
    <figure class="usage-chart" data-chart={chart.id}>
      <figcaption id={titleId}>
        {chart.title}: <span class="usage-total">{summary}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} preserveAspectRatio="none">
        <line x1={LEFT} y1={TOP + plotHeight} x2={WIDTH} y2={TOP + plotHeight} stroke="#767f8f" stroke-width="1" />
        <text x={LEFT - 6} y={TOP + 8} text-anchor="end" font-size="11" fill="#5b6475">
          {top}
        </text>
        <text x={LEFT - 6} y={TOP + plotHeight} text-anchor="end" font-size="11" fill="#5b6475">
          0
        </text>
        {points.map((point, index) => {
          let base = 0;
          return chart.bands.map((band) => {
            const value = band.value(point);
            if (value === 0) return null;
            const rect = (
              <rect
                x={LEFT + index * slot + (slot - barWidth) / 2}
                y={y(base + value)}
                width={barWidth}
                height={y(base) - y(base + value)}
                fill={band.colour}
                data-value={value}
              />
            );
            base += value;
            return rect;
          });
        })}
        {ticks.map((index) => (
          <text x={LEFT + index * slot + slot / 2} y={HEIGHT - 6} text-anchor="middle" font-size="11" fill="#5b6475">
            {stepLabel(points[index]?.start ?? '', granularity)}
          </text>
        ))}
      </svg>
      {chart.bands.length > 1 && (
        <ul class="legend">
          {chart.bands.map((band, index) => (
            <li>
              <svg viewBox="0 0 10 10" class="swatch" aria-hidden="true">
                <rect width="10" height="10" fill={band.colour} />
              </svg>{' '}
              {band.label}: {totals[index]}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
};

/** The three charts, with the hour/day switch as links (`?usage=hour|day`), so it works without script. */
export function UsageCharts({ series, hourPath, dayPath }: { series: ChartSeries; hourPath: string; dayPath: string }) {
  return (
    <div class="usage-charts">
      <nav class="usage-switch" aria-label="Usage by">
        <a href={hourPath} aria-current={series.granularity === 'hour' ? 'page' : undefined}>
          Last 24 hours, by hour
        </a>
        <a href={dayPath} aria-current={series.granularity === 'day' ? 'page' : undefined}>
          Last 30 days, by day
        </a>
      </nav>
      <p class="sub">Times are UTC {series.granularity === 'hour' ? 'hours' : 'days'}.</p>
      {CHARTS.map((chart) => (
        <BarChart chart={chart} series={series} />
      ))}
    </div>
  );
}
