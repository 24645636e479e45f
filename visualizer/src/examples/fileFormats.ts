// Writers for the small files the app generates itself: NumPy .npy/.npz, uncompressed zip, and
// minimal (OME-)TIFF. Used by the example projects and by the end-to-end tests.

export type ArrayData = Uint8Array | Uint16Array | Int32Array | Float32Array;

function dtypeDescr(data: ArrayData): string {
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  return '<f4';
}

/** A NumPy .npy file (format version 1.0, C order). */
export function npyBytes(data: ArrayData, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtypeDescr(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip archive with stored (uncompressed) entries. */
export function zipBytes(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const crc = crc32(entry.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, entry.data.length, true);
    lv.setUint32(22, entry.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, entry.data.length, true);
    cv.setUint32(24, entry.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, entry.data);
    centrals.push(central);
    offset += local.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, c) => sum + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, end]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** NumPy .npz: a zip of named .npy arrays. */
export function npzBytes(arrays: Record<string, { data: ArrayData; shape: number[] }>): Uint8Array {
  return zipBytes(
    Object.entries(arrays).map(([name, a]) => ({
      name: `${name}.npy`,
      data: npyBytes(a.data, a.shape),
    })),
  );
}

/**
 * A multi-page little-endian TIFF, one uncompressed strip per page. `pages` planes of
 * height x width are read from `data` in order; `description` goes into the first page.
 */
export function tiffBytes(
  data: ArrayData,
  pages: number,
  height: number,
  width: number,
  description?: string,
): Uint8Array {
  const bytesPerSample = data.BYTES_PER_ELEMENT;
  const sampleFormat = data instanceof Float32Array ? 3 : data instanceof Int32Array ? 2 : 1;
  const planeBytes = height * width * bytesPerSample;
  const descriptionBytes = description ? new TextEncoder().encode(description + '\0') : null;
  const tagCount = descriptionBytes ? 11 : 10;
  const ifdSize = 2 + tagCount * 12 + 4;
  const headerSize = 8 + (descriptionBytes ? descriptionBytes.length : 0);
  const pixelStart = headerSize + pages * ifdSize;
  const out = new Uint8Array(pixelStart + pages * planeBytes);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0x4949, true);
  view.setUint16(2, 42, true);
  view.setUint32(4, headerSize, true);
  if (descriptionBytes) out.set(descriptionBytes, 8);
  for (let page = 0; page < pages; page++) {
    let at = headerSize + page * ifdSize;
    view.setUint16(at, tagCount, true);
    at += 2;
    const tag = (id: number, type: number, count: number, value: number) => {
      view.setUint16(at, id, true);
      view.setUint16(at + 2, type, true);
      view.setUint32(at + 4, count, true);
      if (type === 3 && count === 1) view.setUint16(at + 8, value, true);
      else view.setUint32(at + 8, value, true);
      at += 12;
    };
    tag(256, 4, 1, width);
    tag(257, 4, 1, height);
    tag(258, 3, 1, bytesPerSample * 8);
    tag(259, 3, 1, 1);
    tag(262, 3, 1, 1);
    if (descriptionBytes) tag(270, 2, descriptionBytes.length, 8);
    tag(273, 4, 1, pixelStart + page * planeBytes);
    tag(277, 3, 1, 1);
    tag(278, 4, 1, height);
    tag(279, 4, 1, planeBytes);
    tag(339, 3, 1, sampleFormat);
    view.setUint32(at, page + 1 < pages ? headerSize + (page + 1) * ifdSize : 0, true);
  }
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pixelStart);
  return out;
}

const omeTypes: Record<string, string> = {
  Uint8Array: 'uint8',
  Uint16Array: 'uint16',
  Int32Array: 'int32',
  Float32Array: 'float',
};

/** An OME-TIFF of frames x channels x height x width planes (frames as T). */
export function omeTiffBytes(
  data: ArrayData,
  shape: { frames: number; channels: number; height: number; width: number },
  channelNames: string[],
): Uint8Array {
  const { frames, channels, height, width } = shape;
  const channelXml = channelNames
    .map((name, c) => `<Channel ID="Channel:0:${c}" Name="${name}" SamplesPerPixel="1"/>`)
    .join('');
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">' +
    '<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" ' +
    `Type="${omeTypes[data.constructor.name]}" SizeX="${width}" SizeY="${height}" ` +
    `SizeC="${channels}" SizeZ="1" SizeT="${frames}">` +
    channelXml +
    `<TiffData IFD="0" PlaneCount="${frames * channels}"/>` +
    '</Pixels></Image></OME>';
  return tiffBytes(data, frames * channels, height, width, xml);
}
