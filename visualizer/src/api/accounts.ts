// Accounts and access (docs/API.md, "Accounts"): signing in and out, API tokens, the site's
// accounts (admins), a project's members and share links, and the caller's projects.
import { json, postJson, request, setCsrfToken } from './client';

export type Role = 'viewer' | 'annotator' | 'reviewer' | 'owner';

/** The roles from least to most: each one may do what those before it may. */
export const ROLES: readonly Role[] = ['viewer', 'annotator', 'reviewer', 'owner'];

/** Whether `role` may do what `needed` may (a site admin: everything; no role: nothing). */
export const atLeast = (role: Role | 'admin' | null | undefined, needed: Role) =>
  role === 'admin' || (!!role && ROLES.indexOf(role) >= ROLES.indexOf(needed));

export interface Account {
  username: string;
  display_name: string;
  admin: boolean;
}

export interface Me extends Account {
  /** Null when signed in by an API token (no cookie, so nothing to protect). */
  csrf_token: string | null;
}

/** The signed-in account, or null when signed out (the 401 is expected here, not a redirect). */
export async function getMe(): Promise<Me | null> {
  const response = await request('/api/auth/me', {}, true).catch((error) => {
    if (error?.status === 401) return null;
    throw error;
  });
  if (!response) return null;
  const me = (await response.json()) as Me;
  setCsrfToken(me.csrf_token ?? '');
  return me;
}

/** Sign in; a wrong password is an ApiError (401), a flood of them a 429 with `retryAfter`. */
export async function signIn(username: string, password: string): Promise<Me> {
  const answer = await postJson<{ user: Account; csrf_token: string }>(
    '/api/auth/login',
    { username, password },
    true,
  );
  setCsrfToken(answer.csrf_token);
  return { ...answer.user, csrf_token: answer.csrf_token };
}

/** Whether the server offers single sign-on, and the provider's name for its button. */
export interface SingleSignOn {
  enabled: boolean;
  provider: string | null;
  /** Where the browser goes to sign in there (add `?next=<path>`). */
  login: string;
}

export const getSingleSignOn = () => json<SingleSignOn>('/api/auth/oidc', {}, true);

export async function signOut(): Promise<void> {
  await request('/api/auth/logout', { method: 'POST' }, true);
  setCsrfToken('');
}

const del = (url: string) => request(url, { method: 'DELETE' }).then(() => undefined);

// --- API tokens -----------------------------------------------------------------------------

export interface ApiToken {
  id: number;
  name: string;
  created: string | null;
  expires: string | null;
  last_used: string | null;
  revoked: boolean;
}

/** A new token: the only time its secret is seen. */
export interface NewToken extends ApiToken {
  token: string;
}

/** The caller's tokens still in force (revoked ones stay on the server, listed no more). */
export const listTokens = () =>
  json<{ tokens: ApiToken[] }>('/api/auth/tokens').then((answer) =>
    answer.tokens.filter((token) => !token.revoked),
  );

export const createToken = (name: string, expiresInDays: number | null) =>
  postJson<NewToken>('/api/auth/tokens', { name, expires_in_days: expiresInDays });

export const revokeToken = (id: number) =>
  del(`/api/auth/tokens/${encodeURIComponent(String(id))}`);

// --- accounts of the site (admins) ------------------------------------------------------------

export interface SiteAccount extends Account {
  active: boolean;
  email: string | null;
  created: string | null;
  /** Signs in only through the institution's single sign-on (no password). */
  sso: boolean;
}

export const listAccounts = () =>
  json<{ users: SiteAccount[] }>('/api/users').then((answer) => answer.users);

export const createAccount = (form: { username: string; password: string; display_name: string }) =>
  postJson<SiteAccount>('/api/users', form);

const userUrl = (username: string) => `/api/users/${encodeURIComponent(username)}`;

export const setActive = (username: string, active: boolean) =>
  postJson<SiteAccount>(`${userUrl(username)}/${active ? 'activate' : 'deactivate'}`, {});

export const resetPassword = (username: string, password: string) =>
  request(`${userUrl(username)}/password`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
  }).then(() => undefined);

// --- a project's members and share links ----------------------------------------------------

export interface Member {
  username: string;
  display_name: string;
  role: Role;
}

const projectUrl = (id: string) => `/api/projects/${encodeURIComponent(id)}`;

/** Everyone who has the project, its owner first. */
export const listMembers = (project: string) =>
  json<{ members: Member[] }>(`${projectUrl(project)}/members`).then((answer) => answer.members);

/** Add someone, or change their role (the same call). */
export const setMember = (project: string, username: string, role: Role) =>
  postJson<Member>(`${projectUrl(project)}/members`, { username, role });

export const removeMember = (project: string, username: string) =>
  del(`${projectUrl(project)}/members/${encodeURIComponent(username)}`);

export interface ShareLink {
  id: string;
  role: Role;
  /** The link to hand out: a path of this site carrying the signed `share` token. */
  url: string;
  created: string | null;
  expires: string | null;
  revoked: boolean;
  /** How many people have opened it. */
  uses: number;
}

/** The project's share links still in force. */
export const listShareLinks = (project: string) =>
  json<{ links: ShareLink[] }>(`${projectUrl(project)}/links`).then((answer) =>
    answer.links.filter((link) => !link.revoked),
  );

export const createShareLink = (project: string, role: Role, expiresInDays: number | null) =>
  postJson<ShareLink>(`${projectUrl(project)}/links`, { role, expires_in_days: expiresInDays });

export const revokeShareLink = (project: string, id: string) =>
  del(`${projectUrl(project)}/links/${encodeURIComponent(id)}`);

/** Open a share link (`?share=` of a project's address): the caller gets its role. */
export const openShareLink = (token: string) =>
  postJson<{ project: string; role: Role | 'admin' }>(
    `/api/links/${encodeURIComponent(token)}`,
    {},
  );

// --- the caller's projects ----------------------------------------------------------------------

export interface ProjectSummary {
  id: string;
  name: string;
  created: string;
  status: string;
  size: { frames: number; height: number; width: number; channels: number; features: number };
  /** The caller's role; "admin" for a site admin's view of someone else's project. */
  role: Role | 'admin';
  /** The last edit, ISO 8601; null before the first. */
  last_edit: string | null;
}

export interface ProjectList {
  projects: ProjectSummary[];
  page: number;
  per_page: number;
  total: number;
}

/** Delete a project for everyone (its owner or a site admin); it cannot be undone. */
export const deleteProject = (id: string) => del(projectUrl(id));

/** The projects the caller may see, newest first, a page at a time (pages from 1). */
export const listProjects = (page: number, perPage: number) =>
  json<ProjectList>(`/api/projects?page=${page}&per_page=${perPage}`);
