// My projects (`/projects`): what the signed-in account may see, newest first, a page at a time;
// open one, tick several and review them together (review mode), or delete one of one's own.
import { useState } from 'react';
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
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
import { atLeast, deleteProject, listProjects, type ProjectSummary } from '../api/accounts';
import { ListError, useListing, when } from '../components/lists';
import { PageShell } from '../components/TopBar';
import { listed, pageCount, type Change } from '../machines/listing';

export const PROJECTS_PER_PAGE = 20;

const loadProjects = async (page: number, perPage: number) => {
  const answer = await listProjects(page, perPage);
  return { items: answer.projects, total: answer.total };
};

/** The one change made from this page: deleting a project. */
const changeProjects = async (change: Change) => deleteProject(change.delete as string);

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
  const projects = useListing(loadProjects, changeProjects, PROJECTS_PER_PAGE);
  const { items, total, page, perPage } = useSelector(projects, (s) =>
    listed<ProjectSummary>(s.context),
  );
  const loading = useSelector(projects, (s) => s.matches('loading'));
  const [chosen, setChosen] = useState<string[]>([]);
  const [deleting, setDeleting] = useState<ProjectSummary | null>(null);
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
            <TableCell />
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
              <TableCell padding="none">
                {atLeast(project.role, 'owner') && (
                  <Button
                    size="small"
                    color="error"
                    onClick={() => setDeleting(project)}
                    data-testid="project-delete"
                  >
                    Delete
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
          {!loading && items.length === 0 && (
            <TableRow>
              <TableCell colSpan={6} data-testid="projects-empty">
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
      <ConfirmDelete
        project={deleting}
        onCancel={() => setDeleting(null)}
        onConfirm={(id) => {
          setDeleting(null);
          setChosen((ids) => ids.filter((x) => x !== id));
          projects.send({ type: 'CHANGE', change: { delete: id } });
        }}
      />
    </PageShell>
  );
}

function ConfirmDelete({
  project,
  onCancel,
  onConfirm,
}: {
  project: ProjectSummary | null;
  onCancel: () => void;
  onConfirm: (id: string) => void;
}) {
  return (
    <Dialog open={!!project} onClose={onCancel} data-testid="delete-dialog">
      <DialogTitle>Delete {project?.name || project?.id}?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Its labels, history, members and share links go for everyone who has it. This cannot be
          undone; export it first to keep a copy.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel} data-testid="delete-cancel">
          Cancel
        </Button>
        <Button
          color="error"
          variant="contained"
          onClick={() => project && onConfirm(project.id)}
          data-testid="delete-confirm"
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
