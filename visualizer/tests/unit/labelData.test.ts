import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePlane } from '../../src/api/client';
import { decodePatchValues } from '../../src/data/patches';
import { StrokePreview } from '../../src/data/strokePreview';
import { buildLookup, withSelected } from '../../src/render/lookup';

describe('label data', () => {
  it('decodes a server patch (base64 of zlib int32 LE)', async () => {
    const values = new Int32Array([0, 7, 7, 123456]);
    const data = deflateSync(Buffer.from(values.buffer)).toString('base64');
    expect([...(await decodePatchValues(data, 4))]).toEqual([0, 7, 7, 123456]);
    await expect(decodePatchValues(data, 5)).rejects.toThrow(/expected 5/);
  });

  it('converts each pixel type for the textures', () => {
    expect([...decodePlane(new Uint16Array([0, 65535]).buffer, 'uint16')]).toEqual([0, 65535]);
    expect([...decodePlane(new Int8Array([-5, 3]).buffer, 'int8')]).toEqual([-5, 3]);
    expect(decodePlane(new Int32Array([1]).buffer, 'int32')).toBeInstanceOf(Int32Array);
    expect(() => decodePlane(new ArrayBuffer(2), 'complex64')).toThrow(/Unsupported/);
  });

  it('previews a stroke at once and removes it when settled', () => {
    const preview = new StrokePreview(20, 10);
    const rect = preview.extend('stroke', {
      points: [
        [2, 2],
        [8, 2],
      ],
      size: 1,
      erase: false,
    });
    expect(rect).toEqual({ x: 1, y: 1, width: 9, height: 3 });
    expect(preview.at(5, 2)).toBe(1);
    preview.rename('stroke', 4);
    preview.extend(5, { points: [[15, 7]], size: 0, erase: true });
    preview.remove(4);
    expect(preview.at(5, 2)).toBe(0);
    expect(preview.at(15, 7)).toBe(2);
    expect(preview.pending).toBe(1);
  });

  it('marks the selected cell in the lookup, including values shared by several cells', () => {
    const cells = new Map([[4, [2, 8]]]);
    const base = buildLookup(cells, 5);
    const lookup = withSelected(base, cells, 8);
    expect(lookup.data[4 * 4 + 3]).toBe(255);
    expect(lookup.data[5 * 4 + 3]).toBe(128);
    expect(base.data[4 * 4 + 3]).toBe(128);
    expect(withSelected(base, cells, 5).data[5 * 4 + 3]).toBe(255);
    expect(lookup.size).toBe(4096);
  });

  it('marks every cell of a list, as the scatter plot selects them', () => {
    const cells = new Map([[4, [2, 8]]]);
    const base = buildLookup(cells, 9);
    const lookup = withSelected(base, cells, [8, 6]);
    expect([4, 5, 6].map((value) => lookup.data[value * 4 + 3])).toEqual([255, 128, 255]);
    expect(withSelected(base, cells, []).data).toEqual(base.data);
  });
});
