// A made-up multiplexed project for the learning tests and benchmark: the generator of the Python
// tests (tests/multiplex.py) run once, writing an .npz and giving each cell's type.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The made-up multiplexed image of the Python tests (tests/multiplex.py) and each cell's type. */
export function multiplexedProject(): { path: string; truth: Record<string, string> } {
  const folder = mkdtempSync(join(tmpdir(), 'learning-e2e-'));
  const path = join(folder, 'multiplexed.npz');
  const script = [
    'import json, sys',
    'from multiplex import multiplexed_npz',
    'data, truth = multiplexed_npz(rows=10, columns=10)',
    'open(sys.argv[1], "wb").write(data)',
    'print(json.dumps({str(k): v for k, v in truth.items()}))',
  ].join('\n');
  const output = execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', script, path], {
    env: { ...process.env, PYTHONPATH: join(ROOT, 'tests') },
  });
  return { path, truth: JSON.parse(output.toString()) };
}
