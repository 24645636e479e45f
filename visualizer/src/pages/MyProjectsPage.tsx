// My projects (`/projects`): what the signed-in account may see, newest first, a page at a time;
// open one, or tick several and review them together (review mode).
import { useState } from 'react';
import {
  Button,
  Checkbox,
  Link,
  Pagination,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { useSelector } from '@xstate/react';
import { listProjects, type ProjectSummary } from '../api/accounts';
import { ListError, useListing, when } from '../components/lists';
import { PageShell } from '../components/TopBar';
import { listed, pageCount } from '../machines/listing';

export const PROJECTS_PER_PAGE = 20;

const loadProjects = async (page: number, perPage: number) => {
  const answer = await listProjects(page, perPage);
  return { items: answer.projects, total: answer.total };
};

const nothingToChange = async () => undefined;

const projectUrl = (ids: string[]) => `/project?projectId=${ids.map(encodeURIComponent).join(',')}`;

/** "512 × 512, 3 frames, 2 channels" */
export function sizeInWords({ size }: Pick<ProjectSummary, 'size'>): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    `${size.width} × ${size.height}`,
    size.frames > 1 ? plural(size.frames, 'frame') : null,
    plural(size.channels, 'channel'),
  ]
    .filter(Boolean)
    .join(', ');
}

export function MyProjectsPage() {
  const projects = useListing(loadProjects, nothingToChange, PROJECTS_PER_PAGE);
  const { items, total, page, perPage } = useSelector(projects, (s) =>
    listed<ProjectSummary>(s.context),
  );
  const loading = useSelector(projects, (s) => s.matches('loading'));
  const [chosen, setChosen] = useState<string[]>([]);
  const toggle = (id: string) =>
    setChosen((ids) => (ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]));

  return (
    <PageShell title="My projects" maxWidth="lg">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 2 }}>
        <Typography variant="h5" sx={{ flexGrow: 1 }}>
          My projects
        </Typography>
        <Button
          variant="outlined"
          disabled={chosen.length < 2}
          href={projectUrl(chosen)}
          data-testid="review-chosen"
        >
          Review the {chosen.length > 1 ? `${chosen.length} ` : ''}ticked projects
        </Button>
        <Button variant="contained" href="/" data-testid="new-project">
          New project
        </Button>
      </Stack>
      <ListError list={projects} testId="projects-error" />
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" />
            <TableCell>Name</TableCell>
            <TableCell>Size</TableCell>
            <TableCell>My role</TableCell>
            <TableCell>Last edit</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((project) => (
            <TableRow key={project.id} data-testid="project-row" data-project={project.id} hover>
              <TableCell padding="checkbox">
                <Checkbox
                  size="small"
                  checked={chosen.includes(project.id)}
                  onChange={() => toggle(project.id)}
                  slotProps={{
                    input: { 'aria-label': `Review ${project.name}` } as object,
                  }}
                  data-testid="project-choose"
                />
              </TableCell>
              <TableCell>
                <Link href={projectUrl([project.id])} data-testid="project-open">
                  {project.name || project.id}
                </Link>
                {project.status !== 'ready' && (
                  <Typography variant="caption" sx={{ ml: 1 }} color="text.secondary">
                    ({project.status})
                  </Typography>
                )}
              </TableCell>
              <TableCell>{sizeInWords(project)}</TableCell>
              <TableCell data-testid="project-role">{project.role}</TableCell>
              <TableCell>{when(project.last_edit ?? project.created)}</TableCell>
            </TableRow>
          ))}
          {!loading && items.length === 0 && (
            <TableRow>
              <TableCell colSpan={5} data-testid="projects-empty">
                No projects yet: upload an image on the home page, or open a link someone shared
                with you.
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      {total > perPage && (
        <Stack direction="row" sx={{ justifyContent: 'center', mt: 2 }}>
          <Pagination
            count={pageCount(total, perPage)}
            page={page}
            onChange={(_event, next) => projects.send({ type: 'PAGE', page: next })}
            data-testid="projects-pages"
          />
        </Stack>
      )}
    </PageShell>
  );
}
