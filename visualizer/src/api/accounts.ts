// Accounts and access (docs/API.md, "Accounts"): signing in and out, API tokens, the site's
// accounts (admins), a project's members and share links, and the caller's projects.
import { json, postJson, request, setCsrfToken } from './client';

export type Role = 'viewer' | 'annotator' | 'reviewer' | 'owner';

/** The roles from least to most: each one may do what those before it may. */
export const ROLES: readonly Role[] = ['viewer', 'annotator', 'reviewer', 'owner'];

/** Whether `role` may do what `needed` may (no role: nothing). */
export const atLeast = (role: Role | null | undefined, needed: Role) =>
  !!role && ROLES.indexOf(role) >= ROLES.indexOf(needed);

export interface Account {
  username: string;
  display_name: string;
  admin: boolean;
}

export interface Me extends Account {
  csrf_token: string;
}

/** The signed-in account, or null when signed out (the 401 is expected here, not a redirect). */
export async function getMe(): Promise<Me | null> {
  const response = await request('/api/auth/me', {}, true).catch((error) => {
    if (error?.status === 401) return null;
    throw error;
  });
  if (!response) return null;
  const me = (await response.json()) as Me;
  setCsrfToken(me.csrf_token);
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

export async function signOut(): Promise<void> {
  await request('/api/auth/logout', { method: 'POST' }, true);
  setCsrfToken('');
}

const del = (url: string) => request(url, { method: 'DELETE' }).then(() => undefined);

// --- API tokens -----------------------------------------------------------------------------

export interface ApiToken {
  id: string | number;
  name: string;
  created: string | null;
  expires: string | null;
  last_used?: string | null;
}

/** A new token: the only time its secret is seen. */
export interface NewToken {
  id: string | number;
  token: string;
}

export const listTokens = () =>
  json<ApiToken[] | { tokens: ApiToken[] }>('/api/auth/tokens').then((answer) =>
    Array.isArray(answer) ? answer : answer.tokens,
  );

export const createToken = (name: string, expiresInDays: number | null) =>
  postJson<NewToken>('/api/auth/tokens', { name, expires_in_days: expiresInDays });

export const revokeToken = (id: string | number) =>
  del(`/api/auth/tokens/${encodeURIComponent(String(id))}`);

// --- accounts of the site (admins) ------------------------------------------------------------

export interface SiteAccount extends Account {
  active: boolean;
  email?: string | null;
  created?: string | null;
}

export const listAccounts = () =>
  json<SiteAccount[] | { users: SiteAccount[] }>('/api/users').then((answer) =>
    Array.isArray(answer) ? answer : answer.users,
  );

export const createAccount = (form: { username: string; password: string; display_name: string }) =>
  postJson<SiteAccount>('/api/users', form);

const userUrl = (username: string) => `/api/users/${encodeURIComponent(username)}`;

export const deactivateAccount = (username: string) =>
  postJson<SiteAccount>(`${userUrl(username)}/deactivate`, {});

export const resetPassword = (username: string, password: string) =>
  postJson<SiteAccount>(`${userUrl(username)}/password`, { password });

// --- a project's members and share links ----------------------------------------------------

export interface Member {
  username: string;
  display_name?: string;
  role: Role;
}

const projectUrl = (id: string) => `/api/projects/${encodeURIComponent(id)}`;

export const listMembers = (project: string) =>
  json<Member[] | { members: Member[] }>(`${projectUrl(project)}/members`).then((answer) =>
    Array.isArray(answer) ? answer : answer.members,
  );

/** Add someone, or change their role (the same call). */
export const setMember = (project: string, username: string, role: Role) =>
  postJson<Member>(`${projectUrl(project)}/members`, { username, role });

export const removeMember = (project: string, username: string) =>
  del(`${projectUrl(project)}/members/${encodeURIComponent(username)}`);

export interface ShareLink {
  id: string | number;
  role: Role;
  expires: string | null;
  /** The link to hand out (absolute, or a path of this site). */
  url: string;
  created?: string | null;
}

export const listShareLinks = (project: string) =>
  json<ShareLink[] | { links: ShareLink[] }>(`${projectUrl(project)}/links`).then((answer) =>
    Array.isArray(answer) ? answer : answer.links,
  );

export const createShareLink = (project: string, role: Role, expiresInDays: number | null) =>
  postJson<ShareLink>(`${projectUrl(project)}/links`, { role, expires_in_days: expiresInDays });

export const revokeShareLink = (project: string, id: string | number) =>
  del(`${projectUrl(project)}/links/${encodeURIComponent(String(id))}`);

// --- the caller's projects ----------------------------------------------------------------------

export interface ProjectSummary {
  id: string;
  name: string;
  frames?: number;
  height?: number;
  width?: number;
  channels?: number;
  /** The caller's role (site admins see every project, as owners). */
  role: Role;
  /** The last edit (or the creation), ISO 8601. */
  updated: string | null;
  created?: string | null;
}

export interface ProjectPage {
  projects: ProjectSummary[];
  page: number;
  per_page: number;
  total: number;
}

export const listProjects = (page: number, perPage: number) =>
  json<ProjectPage>(`/api/projects?page=${page}&per_page=${perPage}`);
