// Example projects shipped with the app, drawn from simple geometry with a seeded random
// generator so that every build produces the same bytes. No third-party images.
import { npzBytes, omeTiffBytes, zipBytes } from './fileFormats';

export interface ExampleFile {
  id: string;
  title: string;
  description: string;
  fileName: string;
  axes?: string;
  make: () => Uint8Array;
}

/** Mulberry32: tiny deterministic generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Blob2D {
  x: number;
  y: number;
  rx: number;
  ry: number;
  /** Label id; defaults to the cell's position in its list + 1. */
  id?: number;
}

/** Non-overlapping elliptical cells inside a height x width field. */
function placeCells(
  random: () => number,
  height: number,
  width: number,
  count: number,
  size: number,
) {
  const cells: Blob2D[] = [];
  for (let attempt = 0; attempt < count * 40 && cells.length < count; attempt++) {
    const rx = size * (0.7 + 0.6 * random());
    const ry = size * (0.7 + 0.6 * random());
    const x = rx + 2 + random() * (width - 2 * rx - 4);
    const y = ry + 2 + random() * (height - 2 * ry - 4);
    const clear = cells.every(
      (c) => Math.hypot(c.x - x, c.y - y) > Math.max(c.rx, c.ry) + Math.max(rx, ry) + 2,
    );
    if (clear) cells.push({ x, y, rx, ry });
  }
  return cells;
}

/** Paint cells into a label plane (cell i gets id i + 1) and a raw plane. */
function paintCells(
  cells: Blob2D[],
  height: number,
  width: number,
  labels: Int32Array,
  raw: Float32Array,
  brightness: (index: number, inside: number) => number,
  labelOffset = 0,
  rawOffset = 0,
) {
  cells.forEach((c, i) => {
    const x0 = Math.max(0, Math.floor(c.x - c.rx - 1));
    const x1 = Math.min(width - 1, Math.ceil(c.x + c.rx + 1));
    const y0 = Math.max(0, Math.floor(c.y - c.ry - 1));
    const y1 = Math.min(height - 1, Math.ceil(c.y + c.ry + 1));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = ((x - c.x) / c.rx) ** 2 + ((y - c.y) / c.ry) ** 2;
        if (d <= 1) {
          labels[labelOffset + y * width + x] = c.id ?? i + 1;
          raw[rawOffset + y * width + x] += brightness(i, 1 - d);
        }
      }
    }
  });
}

function addNoise(raw: Float32Array, random: () => number, base: number, amount: number) {
  for (let i = 0; i < raw.length; i++) raw[i] += base + random() * amount;
}

function toUint16(raw: Float32Array): Uint16Array {
  return Uint16Array.from(raw, (v) => Math.max(0, Math.min(65535, Math.round(v))));
}

function toUint8(raw: Float32Array): Uint8Array {
  return Uint8Array.from(raw, (v) => Math.max(0, Math.min(255, Math.round(v))));
}

export function makeNuclei(): Uint8Array {
  const random = seededRandom(1);
  const [height, width] = [160, 200];
  const labels = new Int32Array(height * width);
  const raw = new Float32Array(height * width);
  const cells = placeCells(random, height, width, 30, 9);
  paintCells(cells, height, width, labels, raw, (i, inside) => 900 + 150 * (i % 5) + 1800 * inside);
  addNoise(raw, random, 120, 200);
  return npzBytes({
    X: { data: toUint16(raw), shape: [1, height, width, 1] },
    y: { data: labels, shape: [1, height, width, 1] },
  });
}

export function makeTissue(): Uint8Array {
  const random = seededRandom(2);
  const [height, width, channels] = [192, 192, 3];
  const labels = new Int32Array(height * width);
  const planes = [0, 1, 2].map(() => new Float32Array(height * width));
  const cells = placeCells(random, height, width, 45, 10);
  paintCells(cells, height, width, labels, planes[0], (_i, inside) =>
    inside > 0.55 ? 3000 * inside : 0,
  );
  paintCells(cells, height, width, new Int32Array(height * width), planes[1], (_i, inside) =>
    inside < 0.3 ? 1400 : 100,
  );
  paintCells(cells, height, width, new Int32Array(height * width), planes[2], (i, inside) =>
    i % 3 === 0 ? 600 + 400 * inside : 20,
  );
  planes.forEach((p, c) => addNoise(p, random, 50 * (c + 1), 120));
  // Interleave to (frames, y, x, channels), the DeepCell convention.
  const raw = new Float32Array(height * width * channels);
  for (let i = 0; i < height * width; i++) {
    for (let c = 0; c < channels; c++) raw[i * channels + c] = planes[c][i];
  }
  return npzBytes({
    X: { data: toUint16(raw), shape: [1, height, width, channels] },
    y: { data: labels, shape: [1, height, width, 1] },
  });
}

export function makeStack(): Uint8Array {
  const random = seededRandom(3);
  const [depth, height, width] = [12, 96, 96];
  const raw = new Float32Array(depth * height * width);
  const labels = new Int32Array(depth * height * width);
  const spheres = placeCells(random, height, width, 10, 11).map((c) => ({
    ...c,
    z: 2 + random() * (depth - 4),
    rz: 3 + random() * 3,
  }));
  for (let z = 0; z < depth; z++) {
    const slice = spheres.map((s) => {
      const f = 1 - ((z - s.z) / s.rz) ** 2;
      return f > 0 ? { x: s.x, y: s.y, rx: s.rx * Math.sqrt(f), ry: s.ry * Math.sqrt(f) } : null;
    });
    const offset = z * height * width;
    slice.forEach((c, i) => {
      if (!c) return;
      const cell = { ...c, id: i + 1 };
      paintCells(
        [cell],
        height,
        width,
        labels,
        raw,
        (_j, inside) => 60 + 140 * inside,
        offset,
        offset,
      );
    });
  }
  addNoise(raw, random, 10, 30);
  return npzBytes({
    X: { data: toUint8(raw), shape: [depth, height, width, 1] },
    y: { data: labels, shape: [depth, height, width, 1] },
  });
}

/** The frame (from 0) in which cell 1's daughters 5 and 6 first appear. */
const DIVISION_T = 4;

/** Eight frames in which cells drift and cell 1 divides into cells 5 and 6 at DIVISION_T. */
export function makeTimelapse(): Uint8Array {
  const random = seededRandom(4);
  const [frames, height, width] = [8, 96, 128];
  const divisionFrame = DIVISION_T;
  const raw = new Float32Array(frames * height * width);
  const labels = new Int32Array(frames * height * width);
  const movers = [
    { id: 2, x: 90, y: 25, vx: -1.5, vy: 1 },
    { id: 3, x: 30, y: 75, vx: 2, vy: -0.5 },
    { id: 4, x: 105, y: 75, vx: -1, vy: -1.5 },
  ];
  const cells: { value: number; cell: number; t: number; c: number }[] = [];
  for (let t = 0; t < frames; t++) {
    const frame: (Blob2D & { id: number })[] = movers.map((m) => ({
      id: m.id,
      x: m.x + m.vx * t,
      y: m.y + m.vy * t,
      rx: 8,
      ry: 7,
    }));
    if (t < divisionFrame) {
      frame.push({ id: 1, x: 40, y: 30, rx: 8 + t, ry: 8 });
    } else {
      const spread = 7 + 2 * (t - divisionFrame);
      frame.push({ id: 5, x: 40 - spread, y: 30, rx: 6, ry: 6 });
      frame.push({ id: 6, x: 40 + spread, y: 30, rx: 6, ry: 6 });
    }
    const offset = t * height * width;
    paintCells(
      frame,
      height,
      width,
      labels,
      raw,
      (_i, inside) => 700 + 2500 * inside,
      offset,
      offset,
    );
    for (const c of frame) cells.push({ value: c.id, cell: c.id, t, c: 0 });
  }
  addNoise(raw, random, 100, 150);
  const encoder = new TextEncoder();
  const shape = { frames, channels: 1, height, width };
  return zipBytes([
    { name: 'X.ome.tiff', data: omeTiffBytes(toUint16(raw), shape, ['nuclei']) },
    { name: 'y.ome.tiff', data: omeTiffBytes(labels, shape, ['feature 0']) },
    { name: 'cells.json', data: encoder.encode(JSON.stringify(cells)) },
    {
      name: 'divisions.json',
      data: encoder.encode(JSON.stringify([{ parent: 1, daughters: [5, 6], t: divisionFrame }])),
    },
    { name: 'cellTypes.json', data: encoder.encode('[]') },
    { name: 'channels.json', data: encoder.encode(JSON.stringify(['nuclei'])) },
  ]);
}

export const examples: ExampleFile[] = [
  {
    id: 'nuclei',
    title: '2-D nuclei',
    description: 'One 16-bit nuclear channel with 30 labelled nuclei.',
    fileName: 'example-nuclei.npz',
    make: makeNuclei,
  },
  {
    id: 'tissue',
    title: 'Multiplexed tissue',
    description: 'Three channels (nuclear, membrane, marker) with whole-cell labels.',
    fileName: 'example-tissue.npz',
    make: makeTissue,
  },
  {
    id: 'stack',
    title: '3-D stack',
    description: 'Twelve z-slices of round cells followed through the stack.',
    fileName: 'example-stack.npz',
    make: makeStack,
  },
  {
    id: 'timelapse',
    title: 'Timelapse with a division',
    // Frames are counted from 1 wherever a person reads them.
    description: `Eight frames; cell 1 divides into cells 5 and 6 at frame ${DIVISION_T + 1}.`,
    fileName: 'example-timelapse.zip',
    make: makeTimelapse,
  },
];
