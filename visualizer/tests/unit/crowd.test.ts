// The crowd page finds the link's token in the path (/crowd/<token>) or in `?token=`.
import { describe, expect, it } from 'vitest';
import { crowdToken } from '../../src/pages/CrowdPage';

describe('crowdToken', () => {
  it('reads the token below /crowd/', () => {
    expect(crowdToken({ pathname: '/crowd/abc.DEF-1', search: '?worker=W1' })).toBe('abc.DEF-1');
    expect(crowdToken({ pathname: '/crowd/abc/', search: '' })).toBe('abc');
  });
  it('falls back to ?token=, and to nothing', () => {
    expect(crowdToken({ pathname: '/crowd', search: '?token=xyz&worker=W1' })).toBe('xyz');
    expect(crowdToken({ pathname: '/crowd', search: '' })).toBe('');
    expect(crowdToken({ pathname: '/campaign/abc', search: '' })).toBe('');
  });
});
