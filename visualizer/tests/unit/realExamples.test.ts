import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realExamples } from '../../src/examples/real';

const folder = join(__dirname, '..', '..', 'public', 'examples');

describe('the real examples of the home page', () => {
  it('ship every file they open', () => {
    for (const example of realExamples) {
      expect(existsSync(join(folder, example.images)), example.images).toBe(true);
      if (example.labels) expect(existsSync(join(folder, example.labels))).toBe(true);
    }
  });

  it('ship the full notice of each licence that asks for it to go with copies', () => {
    for (const example of realExamples.filter((e) => /MIT|BSD/.test(e.licence))) {
      expect(example.licenceFile, example.id).toBeDefined();
      const notice = readFileSync(join(folder, example.licenceFile!), 'utf8');
      expect(notice).toMatch(/Copyright/);
      expect(notice).toContain(example.licence === 'MIT' ? 'MIT License' : 'BSD 3-Clause');
    }
  });
});
