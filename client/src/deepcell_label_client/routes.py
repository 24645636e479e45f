"""Every HTTP route the client calls, in one table (a test checks each against /api/openapi.json)."""

from __future__ import annotations

from urllib.parse import quote

ROUTES: dict[str, tuple[str, str]] = {
    "version": ("GET", "/api/version"),
    "me": ("GET", "/api/auth/me"),
    "create_upload": ("POST", "/api/uploads"),
    "upload": ("GET", "/api/uploads/{upload_id}"),
    "put_chunk": ("PUT", "/api/uploads/{upload_id}/chunks/{index}"),
    "delete_upload": ("DELETE", "/api/uploads/{upload_id}"),
    "create_project": ("POST", "/api/projects"),
    "project": ("GET", "/api/projects/{project_id}"),
    "raw_frame": ("GET", "/api/projects/{project_id}/raw/{frame}/{channel}"),
    "raw_tile": ("GET", "/api/projects/{project_id}/raw/{frame}/{channel}/tiles/{tile_y}/{tile_x}"),
    "labels_frame": ("GET", "/api/projects/{project_id}/labels/{feature}/{frame}"),
    "labels_tile": (
        "GET",
        "/api/projects/{project_id}/labels/{feature}/{frame}/levels/{level}/tiles/{tile_y}/{tile_x}",
    ),
    "export": ("GET", "/api/projects/{project_id}/export"),
    "start_export": ("POST", "/api/projects/{project_id}/exports"),
    "job": ("GET", "/api/jobs/{job_id}"),
    "job_download": ("GET", "/api/jobs/{job_id}/download"),
    "link": ("POST", "/api/projects/{project_id}/link"),
    "segment": ("POST", "/api/projects/{project_id}/segment"),
    "create_campaign": ("POST", "/api/campaigns"),
    "campaign": ("GET", "/api/campaigns/{campaign_id}"),
    "add_campaign_images": ("POST", "/api/campaigns/{campaign_id}/images"),
    "add_campaign_member": ("POST", "/api/campaigns/{campaign_id}/members"),
    "campaign_tasks": ("GET", "/api/campaigns/{campaign_id}/tasks"),
    "campaign_agreement": ("GET", "/api/campaigns/{campaign_id}/agreement"),
    "export_campaign": ("POST", "/api/campaigns/{campaign_id}/exports"),
}


def route(name: str, **parts: object) -> tuple[str, str]:
    """(method, path) of a named route with its parts filled in."""
    method, template = ROUTES[name]
    return method, template.format(
        **{key: quote(str(value), safe="") for key, value in parts.items()}
    )
