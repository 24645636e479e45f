"""Accounts and access, the one place that decides who may do what (SPEC section 11).

- `accounts`: usernames, passwords, API tokens, browser sessions, one-time sign-in links, the
  first start's admin;
- `rights`: roles on projects, the rights routes declare, the check of every request, what the
  caller may see;
- `sharing`: members of a project and share links;
- `sso`: single sign-on through an OpenID Connect provider.
"""

from .accounts import (
    AccessError,
    AccountError,
    Identity,
    add_guest,
    check_password,
    create_sign_in_link,
    create_token,
    create_user,
    describe_token,
    describe_user,
    end_session,
    find_user,
    first_start,
    has_accounts,
    identity_from_session,
    identity_from_token,
    list_tokens,
    list_users,
    normalise_username,
    revoke_token,
    set_active,
    set_password,
    start_session,
    use_sign_in_link,
)
from .rights import PROJECT_RIGHTS, RIGHTS, ROLES, end_check, require, role_on, visible_projects
from .sharing import add_member, create_link, links, members, open_link, remove_member, revoke_link
from .sso import init_sso

__all__ = [
    "PROJECT_RIGHTS",
    "RIGHTS",
    "ROLES",
    "AccessError",
    "AccountError",
    "Identity",
    "add_guest",
    "add_member",
    "check_password",
    "create_link",
    "create_sign_in_link",
    "create_token",
    "create_user",
    "describe_token",
    "describe_user",
    "end_check",
    "end_session",
    "find_user",
    "first_start",
    "has_accounts",
    "identity_from_session",
    "identity_from_token",
    "init_sso",
    "links",
    "list_tokens",
    "list_users",
    "members",
    "normalise_username",
    "open_link",
    "remove_member",
    "require",
    "revoke_link",
    "revoke_token",
    "role_on",
    "set_active",
    "set_password",
    "start_session",
    "use_sign_in_link",
    "visible_projects",
]
