import { afterEach, describe, expect, it, vi } from 'vitest';
import { atLeast, getMe, signIn, signOut } from '../../src/api/accounts';
import { sizeInWords } from '../../src/pages/MyProjectsPage';
import {
  ApiError,
  getProject,
  postEdit,
  safeNext,
  setCsrfToken,
  setSignedOutHandler,
  signInUrl,
} from '../../src/api/client';

/** A stand-in for the server: records each request and answers from `reply`. */
function server(reply: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit; headers: Record<string, string> }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init, headers: (init.headers ?? {}) as Record<string, string> });
    return reply(url, init);
  });
  return calls;
}

const answer = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken('');
  setSignedOutHandler(() => undefined);
});

const edit = {
  action: 'brush',
  args: {},
  frame: 0,
  feature: 0,
  write_mode: 'overwrite' as const,
  base_version: 0,
};

describe('the API client and the session', () => {
  it('sends the CSRF token from /me on changing requests only, with the cookie', async () => {
    const calls = server((url) =>
      url === '/api/auth/me'
        ? answer({ username: 'ada', display_name: 'Ada', admin: false, csrf_token: 't0k' })
        : answer({ version: 1, edits: [] }),
    );
    expect(await getMe()).toMatchObject({ username: 'ada', csrf_token: 't0k' });
    await getProject('p1');
    await postEdit('p1', edit);
    expect(calls[1].headers['X-CSRF-Token']).toBeUndefined();
    expect(calls[2].headers['X-CSRF-Token']).toBe('t0k');
    expect(calls[2].headers['X-Annotator']).toBeUndefined();
    expect(calls.every((call) => call.init.credentials === 'same-origin')).toBe(true);
  });

  it('sends a person to sign in on a 401 anywhere, but not for /me or a wrong password', async () => {
    const signedOut = vi.fn();
    setSignedOutHandler(signedOut);
    server(() => answer({ error: 'Sign in first.' }, 401));
    expect(await getMe()).toBeNull();
    await expect(signIn('ada', 'wrong')).rejects.toMatchObject({ status: 401 });
    expect(signedOut).not.toHaveBeenCalled();
    await expect(getProject('p1')).rejects.toBeInstanceOf(ApiError);
    expect(signedOut).toHaveBeenCalledTimes(1);
  });

  it('takes the CSRF token from sign-in, and forgets it at sign-out', async () => {
    const calls = server((url) =>
      url === '/api/auth/login'
        ? answer({ user: { username: 'ada', display_name: 'Ada', admin: true }, csrf_token: 'c1' })
        : answer({}),
    );
    expect(await signIn('ada', 'secret')).toEqual({
      username: 'ada',
      display_name: 'Ada',
      admin: true,
      csrf_token: 'c1',
    });
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ username: 'ada', password: 'secret' });
    await signOut();
    expect(calls[1]).toMatchObject({ url: '/api/auth/logout', init: { method: 'POST' } });
    expect(calls[1].headers['X-CSRF-Token']).toBe('c1');
    await postEdit('p', edit);
    expect(calls[2].headers['X-CSRF-Token']).toBeUndefined();
  });

  it('reads how long to wait from a 429', async () => {
    server(() => answer({ error: 'Too many sign-ins.' }, 429, { 'Retry-After': '42' }));
    await expect(signIn('ada', 'x')).rejects.toMatchObject({ status: 429, retryAfter: 42 });
  });
});

describe('coming back after signing in', () => {
  it('goes only to paths of this site', () => {
    const origin = 'http://127.0.0.1:5000';
    expect(safeNext('/project?projectId=abc', origin)).toBe('/project?projectId=abc');
    expect(safeNext('/projects#top', origin)).toBe('/projects#top');
    for (const away of [
      null,
      '',
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'project',
    ]) {
      expect(safeNext(away, origin)).toBe('/');
    }
  });

  it('names the page to come back to, except the home and sign-in pages', () => {
    expect(signInUrl('/project?projectId=a b')).toBe(
      '/login?next=%2Fproject%3FprojectId%3Da%2520b',
    );
    expect(signInUrl('/')).toBe('/login');
    expect(signInUrl('/login?next=/x')).toBe('/login');
    expect(signInUrl('//evil.example')).toBe('/login');
  });
});

describe('the caller’s role on a project', () => {
  it('gives each role the rights of those below it; a site admin has all; no role none', () => {
    expect(atLeast('viewer', 'viewer')).toBe(true);
    expect(atLeast('viewer', 'annotator')).toBe(false);
    expect(atLeast('reviewer', 'annotator')).toBe(true);
    expect(atLeast('annotator', 'owner')).toBe(false);
    expect(atLeast('admin', 'owner')).toBe(true);
    expect(atLeast(undefined, 'viewer')).toBe(false);
  });

  it('puts the size of a listed project in words', () => {
    const size = { frames: 1, height: 64, width: 96, channels: 1, features: 1 };
    expect(sizeInWords({ size })).toBe('96 × 64, 1 channel');
    expect(sizeInWords({ size: { ...size, frames: 3, channels: 2 } })).toBe(
      '96 × 64, 3 frames, 2 channels',
    );
  });
});
