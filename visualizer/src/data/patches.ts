// Decoding the pixel patches that edits carry: base64 of zlib-deflated int32 little-endian values.

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function decodePatchValues(data: string, count: number): Promise<Int32Array> {
  const bytes = await inflate(base64ToBytes(data));
  if (bytes.byteLength !== count * 4) {
    throw new Error(`Patch holds ${bytes.byteLength / 4} values, expected ${count}`);
  }
  return new Int32Array(bytes.buffer, bytes.byteOffset, count);
}
