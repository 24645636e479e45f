import { describe, expect, it } from 'vitest';
import { physicalSizeText } from '../../src/components/ProjectInfo';

describe('physical pixel size', () => {
  it('shows the pixel and the z spacing in the unit of the file', () => {
    expect(physicalSizeText({ x: 0.65, y: 0.65, z: 2, unit: 'µm' })).toBe(
      'Pixel 0.65 × 0.65 µm, z spacing 2 µm',
    );
  });

  it('rounds to four significant digits and marks a missing side', () => {
    expect(physicalSizeText({ x: 1 / 2.295473, y: null, z: null, unit: 'µm' })).toBe(
      'Pixel 0.4356 × ? µm',
    );
    expect(physicalSizeText({ x: null, y: null, z: 0.05445500181716341, unit: 'nm' })).toBe(
      'z spacing 0.05446 nm',
    );
  });

  it('says nothing when the file gave no size', () => {
    expect(physicalSizeText(null)).toBeNull();
    expect(physicalSizeText(undefined)).toBeNull();
  });
});
