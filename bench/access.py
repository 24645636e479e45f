"""What the access check costs: the median brush edit on a 2048² project sent with an API token
and with a session cookie (+ CSRF token), against the same edit with the check bypassed in this
bench (the identity set directly, as if no check ran); and the median sign-in (argon2id verify,
session row, cookie).

The three kinds of brush edits are interleaved, each on a fresh place of the frame, so that the
load of the machine weighs on each alike. Goals (SPEC 11's issue): the check adds at most 1 ms to
the median edit; a sign-in answers in at most 300 ms. On a loaded machine the edits' spread
hides a difference of a millisecond, so the check is also timed alone (the before-request
function on the same request, `CHECK_RUNS` times), which measures what it adds directly.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
from flask import g, request

from .common import (
    CHANNEL_KINDS,
    QUICK,
    Goal,
    cell_layout,
    create_from_arrays,
    goals_table,
    make_app,
    render_labels,
    render_raw,
    summary,
    table,
    time_calls,
    write_results,
)

SIZE = 512 if QUICK else 2048
RUNS = 15 if QUICK else 60
SIGN_INS = 5 if QUICK else 20
CHECK_RUNS = 200 if QUICK else 1000
BYPASS = "X-Bench-Bypass"
KINDS = ("bypassed", "token", "cookie")


def _access_check(app):
    return next(f for f in app.before_request_funcs[None] if f.__name__ == "check_access")


def _bypass_switch(app, identity) -> None:
    """Let requests carrying BYPASS skip the access check (the identity set directly)."""
    checks = app.before_request_funcs[None]
    check = _access_check(app)
    index = checks.index(check)

    def check_or_bypass():
        if BYPASS in request.headers:
            g.identity = identity
            return None
        return check()

    checks[index] = check_or_bypass


def browser_cookie(app, sign_in) -> tuple[str, str]:
    """A signed-in browser's session cookie and CSRF token."""
    browser = app.test_client(token=None)
    csrf = sign_in(browser, "annie")
    return browser.get_cookie("session").value, csrf


def _check_alone(app, project_id: str, token: str, cookie: tuple[str, str]) -> dict:
    """The access check alone on an edit request (POST .../edits), token and cookie."""
    check = _access_check(app)
    path = f"/api/projects/{project_id}/edits"
    headers = {
        "check alone (token)": {"Authorization": f"Bearer {token}"},
        "check alone (cookie)": {"Cookie": f"session={cookie[0]}", "X-CSRF-Token": cookie[1]},
    }
    figures = {}
    for name, sent in headers.items():

        def once(_i: int, sent=sent) -> None:
            with app.test_request_context(path, method="POST", headers=sent):
                check()

        once(0)
        figures[name] = summary(time_calls(once, CHECK_RUNS))
    return figures


def run() -> str:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from accounts import PASSWORD, make_user, sign_in
    from deepcell_label.services import access

    with tempfile.TemporaryDirectory() as temporary:
        app = make_app(Path(temporary) / "data")
        layout = cell_layout(SIZE, SIZE)
        labels = render_labels(layout, SIZE, SIZE)
        raw = render_raw(layout, SIZE, SIZE, CHANNEL_KINDS[:1], np.random.default_rng(0))[0]
        project_id = create_from_arrays(app.test_client(), raw, labels, axes="YX")
        token = make_user(app, "annie", project_id, "annotator")
        with app.app_context():
            user = access.find_user("annie")
            identity = access.Identity(user.id, user.username, user.display_name, False, "token")
        figures = _check_alone(app, project_id, token, browser_cookie(app, sign_in))
        _bypass_switch(app, identity)
        clients = {
            "bypassed": (app.test_client(token=None), {BYPASS: "1"}),
            "token": (app.test_client(token=token), {}),
        }
        browser = app.test_client(token=None)
        clients["cookie"] = (browser, {"X-CSRF-Token": sign_in(browser, "annie")})
        rng = random.Random(0)
        cells = sorted({int(v) for v in np.unique(labels) if v})

        def brush(kind: str):
            client, headers = clients[kind]
            x, y = rng.randrange(20, SIZE - 20), rng.randrange(20, SIZE - 20)
            answer = client.post(
                f"/api/projects/{project_id}/edits",
                json={
                    "action": "brush",
                    "args": {
                        "points": [[x, y], [x + 8, y + 3]],
                        "brush_size": 4,
                        "cell": rng.choice(cells),
                    },
                    "write_mode": "overwrite",
                },
                headers=headers,
            )
            if answer.status_code != 200:
                raise RuntimeError(
                    f"{kind} brush: {answer.status_code} {answer.get_data()[:200]!r}"
                )

        for kind in KINDS:  # warm-up
            brush(kind)
        samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(RUNS):
            for kind in KINDS:
                samples[kind] += time_calls(lambda _i, k=kind: brush(k), 1)
        figures.update({kind: summary(samples[kind]) for kind in KINDS})

        def sign_in_once(_i: int) -> None:
            answer = app.test_client(token=None).post(
                "/api/auth/login", json={"username": "annie", "password": PASSWORD}
            )
            if answer.status_code != 200:
                raise RuntimeError(f"sign-in: {answer.status_code}")

        figures["sign-in"] = summary(time_calls(sign_in_once, SIGN_INS))

    base = figures["bypassed"]["median_ms"]
    rows = [
        (kind, figures[kind]["n"], figures[kind]["median_ms"], figures[kind]["p95_ms"])
        for kind in figures
    ]
    added = {kind: figures[kind]["median_ms"] - base for kind in ("token", "cookie")}
    goals = [
        Goal(
            f"the access check adds ≤ 1 ms to the median brush edit at {SIZE}² ({kind})",
            f"{figures[kind]['median_ms']:.2f} ms vs {base:.2f} ms bypassed: "
            f"{added[kind]:+.2f} ms (×{figures[kind]['median_ms'] / base:.3f})",
            added[kind] <= 1.0,
        )
        for kind in ("token", "cookie")
    ]
    goals += [
        Goal(
            f"the access check alone takes ≤ 1 ms ({kind})",
            f"{figures[f'check alone ({kind})']['median_ms']:.3f} ms median",
            figures[f"check alone ({kind})"]["median_ms"] <= 1.0,
        )
        for kind in ("token", "cookie")
    ]
    goals.append(
        Goal(
            "sign-in answers in ≤ 300 ms (median)",
            f"{figures['sign-in']['median_ms']:.0f} ms",
            figures["sign-in"]["median_ms"] <= 300,
        )
    )
    write_results("access", {"size": SIZE, "figures": figures, "added_ms": added})
    return "\n".join(
        [
            table(
                f"Access check on the brush edit at {SIZE}², and sign-in",
                ("request", "runs", "median ms", "p95 ms"),
                rows,
            ),
            goals_table("Access goals", goals),
        ]
    )
