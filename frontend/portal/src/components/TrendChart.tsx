// Weekly responses (bars) and NPS (line) over the chosen period (recharts), loaded lazily by the dashboard; the
// table beside it carries the same figures.
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, XAxis, YAxis } from 'recharts';

export type TrendWeek = { label: string; responses: number; nps: number | null };

export default function TrendChart({ weeks, title, names }: {
  weeks: TrendWeek[]; title: string; names: { responses: string; nps: string };
}) {
  return (
    <figure className="chart" aria-label={title}>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={weeks} margin={{ left: 8, right: 8, top: 8 }}>
          <CartesianGrid stroke="#d9dde3" vertical={false} />
          <XAxis dataKey="label" stroke="#3c4350" />
          <YAxis yAxisId="responses" allowDecimals={false} stroke="#3c4350" />
          <YAxis yAxisId="nps" orientation="right" domain={[-100, 100]} ticks={[-100, -50, 0, 50, 100]}
            stroke="#3c4350" />
          <Legend />
          <Bar yAxisId="responses" dataKey="responses" name={names.responses} fill="#9bb8dc" isAnimationActive={false} />
          <Line yAxisId="nps" dataKey="nps" name={names.nps} stroke="#1f5fa8" strokeWidth={2} connectNulls={false}
            isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </figure>
  );
}
