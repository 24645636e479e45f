"""Publishing the built browser app to an S3 bucket (served by CloudFront in the cloud)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import current_app

from ..errors import DeepCellLabelError
from ..store.storage import make_s3_client

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
EXTRA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
}


def content_type(path: Path) -> str:
    kind = EXTRA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    kind = kind or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("json") else kind


def cache_control(relative: str) -> str:
    """Files under assets/ carry a content hash in their names and never change; the rest may."""
    return IMMUTABLE if relative.startswith("assets/") else REVALIDATE


def publish(dist: Path, bucket: str, prefix: str = "", client=None) -> list[dict]:
    """Upload every file of `dist` with its content type and cache policy; index.html last."""
    if not (dist / "index.html").is_file():
        raise DeepCellLabelError(f"{dist} has no index.html: build the app first (npm run build).")
    if client is None:
        config = current_app.config
        client = make_s3_client(config["AWS_ENDPOINT_URL"], config["AWS_REGION"])
    prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    # index.html goes last, so it never points at assets that are not uploaded yet.
    files.sort(key=lambda p: p.relative_to(dist).as_posix() == "index.html")
    uploaded = []
    for path in files:
        relative = path.relative_to(dist).as_posix()
        item = {
            "key": prefix + relative,
            "content_type": content_type(path),
            "cache_control": cache_control(relative),
        }
        client.upload_file(
            str(path),
            bucket,
            item["key"],
            ExtraArgs={"ContentType": item["content_type"], "CacheControl": item["cache_control"]},
        )
        uploaded.append(item)
    return uploaded
