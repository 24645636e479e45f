// The box or lasso being drawn over a plot: a dashed, lightly filled polygon.
import { useTheme } from '@mui/material';

export function SelectionShape({
  points,
  style,
}: {
  /** Corners in CSS pixels of the element the shape lies over. */
  points: [number, number][];
  style: React.CSSProperties;
}) {
  const theme = useTheme();
  if (points.length < 2) return null;
  return (
    <svg style={{ position: 'absolute', overflow: 'visible', pointerEvents: 'none', ...style }}>
      <polygon
        points={points.map(([x, y]) => `${x},${y}`).join(' ')}
        fill={theme.palette.primary.main}
        fillOpacity={0.15}
        stroke={theme.palette.primary.main}
        strokeDasharray="4 3"
      />
    </svg>
  );
}
