"""HTTP layer: blueprints, JSON errors, security headers and the built browser app."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Flask, g, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import DeepCellLabelError
from .access import init_access, rule
from .requestid import current_request_id

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


# Pages of the browser app (client-side routes); every other unknown path is a JSON 404.
APP_PAGES = {
    "",
    "project",
    "review",
    "campaigns",
    "campaign",
    "login",
    "tokens",
    "projects",
    "admin",
    "crowd",
}
# Pages with a path of their own below them: a crowd link, /crowd/<token>.
APP_PAGE_FOLDERS = ("crowd/",)


def error_response(message: str, status: int):
    response = jsonify({"error": message, "request_id": current_request_id()})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    from .auth import auth, limiter
    from .campaigns import campaigns
    from .compat import compat
    from .edits import edits
    from .jobs import jobs
    from .learning import learning
    from .linking import linking
    from .meta import meta
    from .projects import projects
    from .reviews import reviews
    from .segmenting import segmenting
    from .sharing import sharing
    from .uploads import uploads
    from .viewers import viewers

    init_access(app)
    limiter.init_app(app)
    app.register_blueprint(auth)
    app.register_blueprint(sharing)
    app.register_blueprint(compat)
    app.register_blueprint(campaigns)
    app.register_blueprint(projects)
    app.register_blueprint(edits)
    app.register_blueprint(jobs)
    app.register_blueprint(learning)
    app.register_blueprint(linking)
    app.register_blueprint(meta)
    app.register_blueprint(reviews)
    app.register_blueprint(segmenting)
    app.register_blueprint(uploads)
    app.register_blueprint(viewers)
    _register_errors(app)
    _register_headers(app)
    _register_frontend(app)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DeepCellLabelError)
    def our_error(error: DeepCellLabelError):
        log.info("refused %s %s: %s", request.method, request.path, error.message)
        # A library's message may name a server file; the client never sees server paths.
        message = error.message.replace(app.config["DATA_DIR"], "…")
        return error_response(message, error.status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        limit = app.config["MAX_CONTENT_LENGTH"]
        return error_response(
            f"The upload is larger than this server's limit of {limit // (1024 * 1024)} MB. "
            "Upload a smaller file, or load it from a URL.",
            413,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: f"There is nothing at {request.path}. See the API reference for the routes.",
            405: f"{request.method} is not allowed on {request.path}.",
            429: f"Too many failed attempts ({error.description}) for this account or from this "
            "address. Wait for the seconds the Retry-After header says, then try again.",
        }
        return error_response(
            messages.get(error.code, error.description or error.name), error.code or 500
        )

    @app.errorhandler(Exception)
    def our_fault(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(
            f"Something went wrong on the server (request {current_request_id()}). "
            "Try again; if it keeps happening, report this request id.",
            500,
        )


def _register_headers(app: Flask) -> None:
    origins = set(app.config["CORS_ORIGINS"])

    @app.before_request
    def start_clock():
        g.started = time.perf_counter()

    @app.after_request
    def headers(response):
        if "started" in g:
            # Time spent in the app, so clients and load tests can tell it from queueing.
            response.headers["Server-Timing"] = (
                f"app;dur={(time.perf_counter() - g.started) * 1000:.1f}"
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith("/dashboard"):  # the dashboard's pages use inline scripts
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers["X-Request-Id"] = current_request_id()
        origin = request.headers.get("Origin")
        if origin and origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = (
                "Content-Type, Authorization, X-CSRF-Token"
            )
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
            response.headers["Access-Control-Expose-Headers"] = "X-Shape, X-Dtype, X-Version, ETag"
        return response


def _register_frontend(app: Flask) -> None:
    """Serve the built app: its files as they are, its pages as index.html."""
    folder = Path(app.config["FRONTEND_DIR"])

    @app.get("/")
    @app.get("/<path:path>")
    @rule("public")
    def frontend(path: str = ""):
        """The browser app: its built files, and index.html for its pages. Public."""
        if path and not path.startswith("api/") and (folder / path).is_file():
            response = send_from_directory(folder, path)
            if path.startswith("assets/"):
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            return response
        page = path.rstrip("/")
        if page not in APP_PAGES and not page.startswith(APP_PAGE_FOLDERS):
            return error_response(
                f"There is nothing at /{path}. See the API reference for the routes.", 404
            )
        if not (folder / "index.html").is_file():
            return error_response(
                "The browser app is not built. Run `make run` (or `cd visualizer && npm ci && npm run build`).",
                404,
            )
        response = send_from_directory(folder, "index.html")
        response.headers["Cache-Control"] = "no-cache"
        return response
