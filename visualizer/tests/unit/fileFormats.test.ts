import { describe, expect, it } from 'vitest';
import { crc32, npyBytes, tiffBytes, zipBytes } from '../../src/examples/fileFormats';
import { examples } from '../../src/examples/synthetic';

describe('generated files', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('writes a .npy header aligned to 64 bytes', () => {
    const bytes = npyBytes(new Uint16Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.slice(10, 10 + headerLength));
    expect(header).toContain("'descr': '<u2'");
    expect(header).toContain("'shape': (2, 3)");
    expect(bytes.length).toBe(10 + headerLength + 12);
  });

  it('writes zip and tiff signatures', () => {
    const zip = zipBytes([{ name: 'a.txt', data: new Uint8Array([1]) }]);
    expect(new DataView(zip.buffer).getUint32(0, true)).toBe(0x04034b50);
    const tiff = tiffBytes(new Uint8Array(6), 2, 1, 3);
    expect([...tiff.slice(0, 4)]).toEqual([0x49, 0x49, 42, 0]);
  });

  it('generates every example deterministically and small', () => {
    for (const example of examples) {
      const a = example.make();
      const b = example.make();
      expect(a.length).toBeGreaterThan(1000);
      expect(a.length).toBeLessThan(2_000_000);
      expect(crc32(a)).toBe(crc32(b));
    }
  });
});
