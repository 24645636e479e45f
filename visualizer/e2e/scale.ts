// A large synthetic project for the scale test and the browser benchmark: a multi-channel uint16
// TIFF written by scripts/make_large_tiff.py (kept in the temp folder between runs), uploaded
// through the API and waited for until the server has prepared it.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type APIRequestContext } from '@playwright/test';
import type { ProjectMetadata } from '../src/api/client';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cell layout of the generated image (as in scripts/make_large_tiff.py). */
export const PITCH = 48;
export const RADIUS = 17;

/** Centre of the generated cell in grid row `row`, column `column` (level-0 pixels). */
export function cellCentre(row: number, column: number): [number, number] {
  const jitterY = ((row * 7 + column * 13) % 9) - 4;
  const jitterX = ((row * 11 + column * 5) % 9) - 4;
  return [Math.floor((column + 0.5) * PITCH + jitterX), Math.floor((row + 0.5) * PITCH + jitterY)];
}

/** Path of the generated TIFF, written when missing; returns it and the seconds writing took. */
export function largeTiff(size: number, channels: number): { path: string; seconds: number } {
  const path = join(tmpdir(), `deepcell-label-scale-${size}x${channels}.tif`);
  if (existsSync(path)) return { path, seconds: 0 };
  const started = Date.now();
  const partial = `${path}.partial`;
  execFileSync(
    join(root, '.venv', 'bin', 'python'),
    [
      join(root, 'scripts', 'make_large_tiff.py'),
      partial,
      '--size',
      `${size}`,
      '--channels',
      `${channels}`,
    ],
    { stdio: 'inherit' },
  );
  renameSync(partial, path);
  return { path, seconds: (Date.now() - started) / 1000 };
}

/** Upload a TIFF as a new project; answers the creation response (201 ready, or 202 building). */
export async function uploadLargeProject(
  request: APIRequestContext,
  path: string,
  name: string,
): Promise<{ project: ProjectMetadata; status: number }> {
  const response = await request.post('/api/projects', {
    multipart: { images: createReadStream(path), name },
    timeout: 600_000,
  });
  expect([201, 202], await response.text()).toContain(response.status());
  return { project: (await response.json()) as ProjectMetadata, status: response.status() };
}

/** Ask for a project every second until it is no longer being built; it must then be ready. */
export async function waitUntilReady(
  request: APIRequestContext,
  project: ProjectMetadata,
): Promise<ProjectMetadata> {
  while (project.status === 'building') {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    project = (await (await request.get(`/api/projects/${project.id}`)).json()) as ProjectMetadata;
  }
  expect(project.status, project.status_message).toBe('ready');
  return project;
}

/** Upload a TIFF as a new project and wait until it is ready; returns it and the seconds taken. */
export async function createLargeProject(
  request: APIRequestContext,
  path: string,
  name: string,
): Promise<{ project: ProjectMetadata; seconds: number; status: number }> {
  const started = Date.now();
  const created = await uploadLargeProject(request, path, name);
  const project = await waitUntilReady(request, created.project);
  return { project, seconds: (Date.now() - started) / 1000, status: created.status };
}
