// Home: upload an image (and optional labels) or open an example, then go to the project page.
import { useRef, useState, type DragEvent } from 'react';
import {
  Alert,
  AppBar,
  Box,
  Button,
  Card,
  CardActions,
  CardContent,
  Container,
  FormControl,
  FormHelperText,
  InputLabel,
  LinearProgress,
  MenuItem,
  Select,
  Stack,
  Toolbar,
  Typography,
} from '@mui/material';
import { createProject, type UploadForm } from '../api/client';
import { examples } from '../examples/synthetic';
import { ThemeToggle } from '../components/ThemeToggle';

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

export function openProject(id: string) {
  window.location.assign(`/project?projectId=${encodeURIComponent(id)}`);
}

export function HomePage() {
  const [images, setImages] = useState<File | null>(null);
  const [labels, setLabels] = useState<File | null>(null);
  const [axes, setAxes] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const imagesInput = useRef<HTMLInputElement>(null);
  const labelsInput = useRef<HTMLInputElement>(null);

  const upload = async (form: UploadForm) => {
    setError(null);
    setProgress(0);
    try {
      const project = await createProject(form, setProgress);
      setProgress(1);
      openProject(project.id);
    } catch (e) {
      setError((e as Error).message);
      setProgress(null);
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
      <AppBar position="static">
        <Toolbar>
          <Typography variant="h6" sx={{ flexGrow: 1 }}>
            DeepCell Label
          </Typography>
          <ThemeToggle />
        </Toolbar>
      </AppBar>
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
            <Typography variant="body2">
              {progress !== null && progress < 1
                ? `Uploading… ${Math.round(progress * 100)}%`
                : 'Reading the image…'}
            </Typography>
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
        <Typography variant="h6" sx={{ mt: 4 }} gutterBottom>
          Examples
        </Typography>
        <Box
          sx={{
            display: 'grid',
            gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))',
            gap: 2,
          }}
        >
          {examples.map((example) => (
            <Card key={example.id} variant="outlined">
              <CardContent>
                <Typography variant="subtitle1">{example.title}</Typography>
                <Typography variant="body2" color="text.secondary">
                  {example.description}
                </Typography>
              </CardContent>
              <CardActions>
                <Button
                  size="small"
                  disabled={busy}
                  data-testid={`example-${example.id}`}
                  onClick={() =>
                    upload({
                      images: new Blob([example.make() as BlobPart]),
                      imagesName: example.fileName,
                      axes: example.axes,
                      name: example.title,
                    })
                  }
                >
                  Open
                </Button>
              </CardActions>
            </Card>
          ))}
        </Box>
      </Container>
    </Box>
  );
}
