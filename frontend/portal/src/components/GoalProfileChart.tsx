// The implicit-goal profile as bars with their intervals (recharts). Loaded lazily by the dashboard, so the
// charting library is not part of the portal's first download; the table beside it carries the same figures.
import { Bar, BarChart, CartesianGrid, ErrorBar, ResponsiveContainer, XAxis, YAxis } from 'recharts';

export type ProfileBar = { goal: string; label: string; value: number; error: [number, number] };

export default function GoalProfileChart({ bars, title }: { bars: ProfileBar[]; title: string }) {
  return (
    <figure className="chart" aria-label={title}>
      <ResponsiveContainer width="100%" height={40 + bars.length * 36}>
        <BarChart data={bars} layout="vertical" margin={{ left: 8, right: 24 }}>
          <CartesianGrid horizontal={false} stroke="#d9dde3" />
          <XAxis type="number" domain={[1, 5]} ticks={[1, 2, 3, 4, 5]} stroke="#3c4350" />
          <YAxis type="category" dataKey="label" width={120} stroke="#3c4350" />
          <Bar dataKey="value" fill="#1f5fa8" isAnimationActive={false}>
            <ErrorBar dataKey="error" width={6} stroke="#111827" direction="x" />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
