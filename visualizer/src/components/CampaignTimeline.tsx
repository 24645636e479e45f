// Tasks of a campaign reaching each state, hour by hour (uPlot).
import { useEffect, useRef } from 'react';
import { Box, useTheme } from '@mui/material';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Stats } from '../api/campaigns';

const SHOWN = [
  ['submitted', '#1976d2'],
  ['accepted', '#2e7d32'],
  ['rejected', '#d32f2f'],
] as const;

export function CampaignTimeline({ timeline }: { timeline: Stats['timeline'] }) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    if (!host.current || timeline.length === 0) return;
    const axis = { stroke: theme.palette.text.secondary, grid: { stroke: theme.palette.divider } };
    const x = timeline.map((row) => Date.parse(row.hour) / 1000);
    const data: uPlot.AlignedData = [
      x,
      ...SHOWN.map(([state]) => timeline.map((row) => row[state] ?? 0)),
    ];
    const chart = new uPlot(
      {
        width: 520,
        height: 220,
        series: [
          {},
          ...SHOWN.map(([state, colour]) => ({
            label: state,
            stroke: colour,
            points: { show: true },
          })),
        ],
        axes: [axis, { ...axis, label: 'tasks per hour' }],
      },
      data,
      host.current,
    );
    return () => chart.destroy();
  }, [timeline, theme]);
  return <Box ref={host} data-testid="campaign-timeline" />;
}
