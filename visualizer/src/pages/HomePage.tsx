// Home: upload an image (and optional labels) or open an example, then go to the project page;
// or open review mode over projects named by their ids.
import { useRef, useState, type DragEvent } from 'react';
import {
  Alert,
  Box,
  Button,
  Card,
  CardActions,
  CardContent,
  Link,
  Container,
  FormControl,
  FormHelperText,
  InputLabel,
  LinearProgress,
  MenuItem,
  Select,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import { createProject, type UploadForm } from '../api/client';
import {
  CHUNKED_UPLOAD_BYTES,
  createProjectFromUploads,
  resumeKey,
  uploadFile,
} from '../api/uploads';
import { exampleFiles, realExamples, type RealExample } from '../examples/real';
import { examples } from '../examples/synthetic';
import { reviewProjects } from '../machines/review';
import { TopBar } from '../components/TopBar';

const AXES = [
  '',
  'YX',
  'YXC',
  'CYX',
  'ZYX',
  'ZYXC',
  'CZYX',
  'TYX',
  'TYXC',
  'TCYX',
  'TZYXC',
  'TCZYX',
];

export function openProject(id: string, panel?: string) {
  const on = panel ? `&panel=${encodeURIComponent(panel)}` : '';
  window.location.assign(`/project?projectId=${encodeURIComponent(id)}${on}`);
}

/** A titled grid of example cards. */
function ExampleGrid({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <>
      <Typography variant="h6" sx={{ mt: 4 }} gutterBottom>
        {title}
      </Typography>
      <Box
        sx={{
          display: 'grid',
          gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))',
          gap: 2,
        }}
      >
        {children}
      </Box>
    </>
  );
}

/** An example on the home page: what it is, and a button that opens it as a new project. */
function ExampleCard({
  example: { id, title, description },
  disabled,
  onOpen,
  cardTestId,
  children,
}: {
  example: { id: string; title: string; description: string };
  disabled: boolean;
  onOpen: () => void;
  cardTestId?: string;
  children?: React.ReactNode;
}) {
  return (
    <Card variant="outlined" data-testid={cardTestId}>
      <CardContent>
        <Typography variant="subtitle1">{title}</Typography>
        <Typography variant="body2" color="text.secondary">
          {description}
        </Typography>
        {children}
      </CardContent>
      <CardActions>
        <Button size="small" disabled={disabled} data-testid={`example-${id}`} onClick={onOpen}>
          Open
        </Button>
      </CardActions>
    </Card>
  );
}

export function HomePage() {
  const [images, setImages] = useState<File | null>(null);
  const [labels, setLabels] = useState<File | null>(null);
  const [axes, setAxes] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  // Megabytes per second of a chunked upload (large files); null for a plain upload.
  const [speed, setSpeed] = useState<number | null>(null);
  const cancelUpload = useRef<AbortController | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const imagesInput = useRef<HTMLInputElement>(null);
  const labelsInput = useRef<HTMLInputElement>(null);

  // Large files go up in resumable chunks first; the project is then created from the uploads.
  const uploadInChunks = async (form: UploadForm) => {
    const files: [Blob, string][] = [[form.images, form.imagesName]];
    if (form.labels) files.push([form.labels, form.labelsName ?? 'labels']);
    const total = files.reduce((sum, [file]) => sum + file.size, 0);
    const controller = new AbortController();
    cancelUpload.current = controller;
    const started = performance.now();
    let finished = 0;
    let resumedBytes: number | null = null;
    const ids: string[] = [];
    const keys: string[] = [];
    for (const [file, name] of files) {
      const key = file instanceof File ? resumeKey(file) : null;
      const state = await uploadFile(file, name, {
        signal: controller.signal,
        resumeId: (key && localStorage.getItem(key)) || undefined,
        onStart: (begun) => key && localStorage.setItem(key, begun.id),
        onProgress: (_fraction, sent) => {
          const bytes = finished + sent;
          resumedBytes ??= bytes; // what the server had already is not counted in the speed
          const seconds = (performance.now() - started) / 1000;
          setProgress(bytes / total);
          if (seconds > 0.5) setSpeed((bytes - resumedBytes) / 1e6 / seconds);
        },
      });
      finished += file.size;
      ids.push(state.id);
      if (key) keys.push(key);
    }
    cancelUpload.current = null;
    setSpeed(null);
    const project = await createProjectFromUploads({
      imagesUpload: ids[0],
      labelsUpload: ids[1],
      axes: form.axes,
      name: form.name,
    });
    keys.forEach((key) => localStorage.removeItem(key));
    return project;
  };

  const openRealExample = async (example: RealExample) => {
    try {
      const { images, labels } = await exampleFiles(example);
      await upload(
        {
          images,
          imagesName: example.images,
          labels,
          labelsName: example.labels,
          axes: example.axes,
          name: example.title,
        },
        example.panel,
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const upload = async (form: UploadForm, panel?: string) => {
    setError(null);
    setProgress(0);
    try {
      const large = Math.max(form.images.size, form.labels?.size ?? 0) > CHUNKED_UPLOAD_BYTES;
      const project = large ? await uploadInChunks(form) : await createProject(form, setProgress);
      setProgress(1);
      openProject(project.id, panel);
    } catch (e) {
      const cancelled = (e as Error).name === 'AbortError';
      setError(
        cancelled
          ? 'Upload cancelled. Upload again to continue where it stopped.'
          : (e as Error).message,
      );
      setProgress(null);
      setSpeed(null);
      cancelUpload.current = null;
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const files = [...event.dataTransfer.files];
    if (files[0]) setImages(files[0]);
    if (files[1]) setLabels(files[1]);
  };

  const busy = progress !== null;
  return (
    <Box sx={{ minHeight: '100vh', bgcolor: 'background.default' }}>
      <TopBar>
        <Button color="inherit" size="small" href="/projects" data-testid="my-projects-link">
          My projects
        </Button>
      </TopBar>
      <Container maxWidth="md" sx={{ py: 3 }}>
        <Typography variant="h5" gutterBottom>
          Label cells in a microscopy image
        </Typography>
        <Box
          data-testid="drop-zone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          sx={{
            border: 2,
            borderStyle: 'dashed',
            borderColor: dragging ? 'primary.main' : 'divider',
            borderRadius: 2,
            p: 3,
            textAlign: 'center',
          }}
        >
          <Typography>
            Drop an image file here (TIFF, PNG, NumPy .npy/.npz or a project .zip)
          </Typography>
          <Typography variant="body2" color="text.secondary">
            Drop a second file at the same time to use it as the labels.
          </Typography>
          <Stack direction="row" spacing={2} sx={{ mt: 2, justifyContent: 'center' }}>
            <Button variant="outlined" onClick={() => imagesInput.current?.click()} disabled={busy}>
              Choose image…
            </Button>
            <Button variant="outlined" onClick={() => labelsInput.current?.click()} disabled={busy}>
              Choose labels (optional)…
            </Button>
          </Stack>
          <input
            ref={imagesInput}
            data-testid="images-input"
            type="file"
            hidden
            onChange={(e) => setImages(e.target.files?.[0] ?? null)}
          />
          <input
            ref={labelsInput}
            data-testid="labels-input"
            type="file"
            hidden
            onChange={(e) => setLabels(e.target.files?.[0] ?? null)}
          />
          <Typography variant="body2" sx={{ mt: 1 }} data-testid="chosen-files">
            {images ? `Image: ${images.name}` : 'No image chosen'}
            {labels ? ` · Labels: ${labels.name}` : ''}
          </Typography>
        </Box>
        <Stack direction="row" spacing={2} sx={{ mt: 2, alignItems: 'flex-start' }}>
          <FormControl sx={{ minWidth: 220 }} size="small">
            <InputLabel id="axes-label">Dimension order</InputLabel>
            <Select
              labelId="axes-label"
              label="Dimension order"
              value={axes}
              onChange={(e) => setAxes(e.target.value)}
              data-testid="axes-select"
            >
              {AXES.map((a) => (
                <MenuItem key={a || 'auto'} value={a}>
                  {a || 'Automatic (from the file)'}
                </MenuItem>
              ))}
            </Select>
            <FormHelperText>
              The order of the image's axes: T time, Z depth, C channels, Y rows, X columns. Leave
              automatic to use the file's own metadata.
            </FormHelperText>
          </FormControl>
          <Button
            variant="contained"
            disabled={!images || busy}
            data-testid="upload-button"
            onClick={() =>
              images &&
              upload({
                images,
                imagesName: images.name,
                labels: labels ?? undefined,
                labelsName: labels?.name,
                axes: axes || undefined,
                name: images.name,
              })
            }
          >
            Upload
          </Button>
        </Stack>
        {busy && (
          <Box sx={{ mt: 2 }}>
            <LinearProgress
              variant="determinate"
              value={(progress ?? 0) * 100}
              data-testid="upload-progress"
            />
            <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
              <Typography variant="body2" data-testid="upload-status">
                {progress !== null && progress < 1
                  ? `Uploading… ${Math.round(progress * 100)}%` +
                    (speed !== null ? ` · ${speed.toFixed(1)} MB/s` : '')
                  : 'Reading the image…'}
              </Typography>
              {cancelUpload.current && progress !== null && progress < 1 && (
                <Button size="small" onClick={() => cancelUpload.current?.abort()}>
                  Cancel
                </Button>
              )}
            </Stack>
          </Box>
        )}
        {error && (
          <Alert
            severity="error"
            sx={{ mt: 2 }}
            data-testid="upload-error"
            onClose={() => setError(null)}
          >
            {error}
          </Alert>
        )}
        <ReviewLink />
        <ExampleGrid title="Real images">
          {realExamples.map((example) => (
            <ExampleCard
              key={example.id}
              example={example}
              disabled={busy}
              onOpen={() => void openRealExample(example)}
              cardTestId={`real-${example.id}`}
            >
              <Typography variant="caption" component="p" sx={{ mt: 1 }}>
                Source:{' '}
                <Link href={example.sourceUrl} target="_blank" rel="noreferrer">
                  {example.source}
                </Link>
                . Licence:{' '}
                {example.licenceFile ? (
                  <Link href={`/examples/${example.licenceFile}`} target="_blank" rel="noreferrer">
                    {example.licence}
                  </Link>
                ) : (
                  example.licence
                )}
                .
              </Typography>
            </ExampleCard>
          ))}
        </ExampleGrid>
        <ExampleGrid title="Examples">
          {examples.map((example) => (
            <ExampleCard
              key={example.id}
              example={example}
              disabled={busy}
              onOpen={() =>
                upload({
                  images: new Blob([example.make() as BlobPart]),
                  imagesName: example.fileName,
                  axes: example.axes,
                  name: example.title,
                })
              }
            />
          ))}
        </ExampleGrid>
      </Container>
    </Box>
  );
}

/** Review mode over projects given by their ids: step through them and accept or reject each. */
function ReviewLink() {
  const [ids, setIds] = useState('');
  const projects = reviewProjects(ids.replaceAll(/\s+/g, ','));
  return (
    <>
      <Typography variant="h6" sx={{ mt: 4 }} gutterBottom>
        Review projects
      </Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField
          size="small"
          label="Project ids"
          placeholder="a1b2c3, d4e5f6"
          value={ids}
          onChange={(e) => setIds(e.target.value)}
          slotProps={{ htmlInput: { 'data-testid': 'review-ids' } }}
          sx={{ flex: 1 }}
        />
        <Button
          variant="outlined"
          disabled={!projects.length}
          href={`/review?projectId=${projects.map(encodeURIComponent).join(',')}`}
          data-testid="open-review"
        >
          Open review
        </Button>
      </Stack>
      <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
        Step through the projects one by one and accept or reject each (separate ids with commas).
      </Typography>
    </>
  );
}
