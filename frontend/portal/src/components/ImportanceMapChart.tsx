// The importance x performance map as a scatter of goals with their intervals (recharts). Loaded lazily by the
// dashboard, like GoalProfileChart; the table beside it carries the same figures for screen readers and keyboards.
import {
  CartesianGrid, ErrorBar, LabelList, ReferenceLine, ResponsiveContainer, Scatter, ScatterChart, XAxis, YAxis,
} from 'recharts';

/** One goal on the map: importance as a percentage of what explains the score, performance on 1-5. */
export type MapDot = {
  goal: string;
  label: string;
  importance: number;
  performance: number;
  importanceError: [number, number];
  performanceError: [number, number];
};

type Props = {
  dots: MapDot[];
  title: string;
  /** Where the quadrants divide (the means over the goals, as the API divides them). */
  importanceLine: number;
  performanceLine: number;
  axisLabels: { importance: string; performance: string };
};

export default function ImportanceMapChart({ dots, title, importanceLine, performanceLine, axisLabels }: Props) {
  const top = Math.max(10, ...dots.map((d) => d.importance + d.importanceError[1]));
  return (
    <figure className="chart" aria-label={title}>
      <ResponsiveContainer width="100%" height={320}>
        <ScatterChart margin={{ left: 8, right: 32, top: 16, bottom: 24 }}>
          <CartesianGrid stroke="#d9dde3" />
          <XAxis type="number" dataKey="importance" domain={[0, Math.ceil(top / 10) * 10]} stroke="#3c4350"
            unit="%" label={{ value: axisLabels.importance, position: 'insideBottom', offset: -16, fill: '#3c4350' }} />
          <YAxis type="number" dataKey="performance" domain={[1, 5]} ticks={[1, 2, 3, 4, 5]} stroke="#3c4350"
            label={{ value: axisLabels.performance, angle: -90, position: 'insideLeft', fill: '#3c4350' }} />
          <ReferenceLine x={importanceLine} stroke="#6b7280" strokeDasharray="4 4" />
          <ReferenceLine y={performanceLine} stroke="#6b7280" strokeDasharray="4 4" />
          <Scatter data={dots} fill="#1f5fa8" isAnimationActive={false}>
            <ErrorBar dataKey="importanceError" direction="x" width={4} stroke="#111827" />
            <ErrorBar dataKey="performanceError" direction="y" width={4} stroke="#111827" />
          </Scatter>
          {/* Names only for the goals that matter most: the others cluster near the left edge, where their names
              would overlap (every goal is named in the table). */}
          <Scatter data={dots.filter((d) => d.importance >= importanceLine)} fill="#1f5fa8" isAnimationActive={false}>
            <LabelList dataKey="label" position="top" fill="#111827" />
          </Scatter>
        </ScatterChart>
      </ResponsiveContainer>
    </figure>
  );
}
