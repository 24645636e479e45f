"""Where the client finds its server and token: arguments, then the environment
(`DEEPCELL_LABEL_URL`, `DEEPCELL_LABEL_TOKEN`), then what `deepcell-label login` saved in the user's
config folder (readable by the owner only)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

URL_VARIABLE = "DEEPCELL_LABEL_URL"
TOKEN_VARIABLE = "DEEPCELL_LABEL_TOKEN"


def config_path() -> Path:
    """The login file: `$DEEPCELL_LABEL_CONFIG`, else the platform's user config folder."""
    if os.environ.get("DEEPCELL_LABEL_CONFIG"):
        return Path(os.environ["DEEPCELL_LABEL_CONFIG"])
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "deepcell-label" / "login.json"


def saved_login() -> dict:
    """What `login` saved ({} when nothing was)."""
    path = config_path()
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def save_login(url: str, token: str | None) -> Path:
    """Keep the server's URL and token for later commands, readable and writable by the owner only."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Created with owner-only rights before anything is written, so the token is never exposed.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"url": url, "token": token}, file)
    os.chmod(path, 0o600)
    return path


def resolve(url: str | None, token: str | None) -> tuple[str, str | None]:
    """The URL and token to use: the arguments, else the environment, else the saved login."""
    saved = saved_login()
    url = url or os.environ.get(URL_VARIABLE) or saved.get("url")
    if not url:
        raise ValueError(
            f"No server given: pass Client(url, token), set {URL_VARIABLE} (and {TOKEN_VARIABLE}), "
            "or run `deepcell-label login`."
        )
    if token is None:
        token = os.environ.get(TOKEN_VARIABLE) or saved.get("token") or None
    return url.rstrip("/"), token
