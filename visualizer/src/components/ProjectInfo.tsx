// One line on the image's physical pixel size, and the notes of what was converted on import.
import { Stack, Typography } from '@mui/material';
import type { PhysicalSize, ProjectMetadata } from '../api/client';

function number(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** e.g. "Pixel 0.65 × 0.65 µm, z spacing 2 µm"; null when the file gave no size. */
export function physicalSizeText(size: PhysicalSize | null | undefined): string | null {
  if (!size) return null;
  const parts: string[] = [];
  if (size.x !== null || size.y !== null) {
    const side = (value: number | null) => (value === null ? '?' : number(value));
    parts.push(`Pixel ${side(size.x)} × ${side(size.y)} ${size.unit}`);
  }
  if (size.z !== null) parts.push(`z spacing ${number(size.z)} ${size.unit}`);
  return parts.length ? parts.join(', ') : null;
}

export function ProjectInfo({ metadata }: { metadata: ProjectMetadata }) {
  const size = physicalSizeText(metadata.physical_size);
  const notes = (metadata.notes ?? '').split('\n').filter((line) => line.trim());
  return (
    <Stack spacing={0.25} data-testid="project-info">
      <Typography variant="caption" color={size ? 'text.primary' : 'text.secondary'}>
        {size ?? 'Physical pixel size: not in the file'}
      </Typography>
      {notes.map((note) => (
        <Typography key={note} variant="caption" color="text.secondary">
          Converted on import: {note}
        </Typography>
      ))}
    </Stack>
  );
}
