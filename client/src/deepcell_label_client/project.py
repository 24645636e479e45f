"""`Project`: one project's pixels as numpy arrays (fetched tile by tile and assembled in place),
its cells, divisions and cell types, its exports and its jobs."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import errors

if TYPE_CHECKING:
    from .client import Client

EXPORT_FORMATS = ("zip", "npz", "ctc", "trk", "ome-zarr")


class Project:
    """A project on the server; every method asks the server afresh (others may be editing it)."""

    def __init__(self, client: Client, project_id: str) -> None:
        self.client = client
        self.id = project_id

    def __repr__(self) -> str:
        return f"Project({self.id!r} on {self.client.url})"

    def metadata(self) -> dict[str, Any]:
        """The server's description: shape, dtype, names, cells, divisions, cell types, status."""
        return self.client.request("project", parts={"project_id": self.id}).json()

    @property
    def url(self) -> str:
        """The address of the project in the browser app."""
        return f"{self.client.url}/project?projectId={self.id}"

    # ------------------------------------------------------------------ pixels

    def image(self) -> np.ndarray:
        """The raw image, shape (frames, height, width, channels), in the project's pixel type."""
        meta = self.metadata()
        out = np.empty(
            (meta["frames"], meta["height"], meta["width"], meta["channels"]), meta["dtype"]
        )
        planes = [
            {"frame": t, "channel": c}
            for t in range(meta["frames"])
            for c in range(meta["channels"])
        ]
        self._fill(
            meta, "raw", meta["tile_size"], planes, lambda p: out[p["frame"], ..., p["channel"]]
        )
        return out

    def labels(self, feature: int = 0) -> np.ndarray:
        """The labels of one feature, int32, shape (frames, height, width)."""
        meta = self.metadata()
        if not 0 <= feature < meta["features"]:
            raise ValueError(
                f"The project has {meta['features']} feature(s) (0…{meta['features'] - 1}); "
                f"there is no feature {feature}."
            )
        out = np.empty((meta["frames"], meta["height"], meta["width"]), np.int32)
        # Large frames come as level-0 view tiles (512²), 4× fewer requests than storage tiles.
        planes = [{"feature": feature, "frame": t, "level": 0} for t in range(meta["frames"])]
        self._fill(meta, "labels", meta["view_tile_size"], planes, lambda p: out[p["frame"]])
        return out

    def _fill(
        self,
        meta: dict[str, Any],
        kind: str,
        tile_size: int,
        planes: list[dict[str, int]],
        target: Callable[[dict[str, int]], np.ndarray],
    ) -> None:
        """Fetch every plane (several requests at once) and write it into `target(plane)`.

        A frame of up to `client.whole_frame_pixels` comes in one request; a larger one tile by
        tile, so neither side ever holds more than a tile of it twice.
        """
        whole = meta["height"] * meta["width"] <= self.client.whole_frame_pixels
        size = max(meta["height"], meta["width"]) if whole else tile_size
        route = f"{kind}_frame" if whole else f"{kind}_tile"
        rows, columns = -(-meta["height"] // size), -(-meta["width"] // size)

        def fetch(task: tuple[dict[str, int], int, int]) -> None:
            plane, tile_y, tile_x = task
            parts: dict[str, object] = {"project_id": self.id, **plane}
            if whole:
                parts.pop("level", None)
            else:
                parts.update(tile_y=tile_y, tile_x=tile_x)
            response = self.client.request(route, parts=parts)
            shape = tuple(int(n) for n in response.headers["X-Shape"].split(","))
            dtype = np.dtype(response.headers["X-Dtype"]).newbyteorder("<")
            tile = np.frombuffer(response.content, dtype).reshape(shape)
            y, x = tile_y * size, tile_x * size
            target(plane)[y : y + shape[0], x : x + shape[1]] = tile

        tasks = [
            (plane, tile_y, tile_x)
            for plane in planes
            for tile_y in range(rows)
            for tile_x in range(columns)
        ]
        # Whole frames are large answers: fewer at once keeps the memory in flight bounded.
        workers = min(self.client.workers, 4) if whole else self.client.workers
        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(fetch, tasks):
                pass

    # ------------------------------------------------------------------ lists

    def cells(self) -> list[dict]:
        """Which cells each label value encodes: ``{"value", "cell", "t", "c"}`` (c is the feature)."""
        return self.metadata()["cells"]

    def divisions(self) -> list[dict]:
        """The recorded divisions: ``{"parent", "daughters", "t"}``."""
        return self.metadata()["divisions"]

    def cell_types(self) -> list[dict]:
        """The cell types: ``{"id", "name", "color", "cells", "feature"}``."""
        return self.metadata()["cellTypes"]

    # ------------------------------------------------------------------ exports and jobs

    def export(
        self, path: str | os.PathLike, format: str = "zip", *, progress: bool | None = None
    ) -> Path:
        """Write the project's export to `path` (a folder gets the server's file name).

        `format` is one of ``zip``, ``npz``, ``ctc``, ``trk``, ``ome-zarr``. A small project is
        exported in one request; a large one by an export job, followed with a progress bar.
        """
        if format not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}.")
        try:
            return self._download(
                "export", {"project_id": self.id}, path, params={"format": format}
            )
        except errors.BadRequestError as error:
            if error.status != 413:  # 413: too large for one request; export it as a job
                raise
        job = self.client.request(
            "start_export", parts={"project_id": self.id}, json={"format": format}
        ).json()
        job = self.client.wait(job, progress=progress)
        return self._download("job_download", {"job_id": job["id"]}, path)

    def _download(self, route: str, parts: dict, path: str | os.PathLike, **options: Any) -> Path:
        return download(self.client, route, parts, path, **options)

    def link(
        self,
        feature: int = 0,
        *,
        threshold: float | None = None,
        max_gap: int | None = None,
        divisions: bool | None = None,
        progress: bool | None = None,
    ) -> dict:
        """Follow every cell of `feature` through the frames (one undoable edit), as a job.

        Returns the job's result: ``version``, ``proposed_divisions``, ``tracks``, ….
        """
        body: dict[str, Any] = {"feature": feature}
        for key, value in (
            ("threshold", threshold),
            ("max_gap", max_gap),
            ("divisions", divisions),
        ):
            if value is not None:
                body[key] = value
        job = self.client.request("link", parts={"project_id": self.id}, json=body).json()
        return self.client.wait(job, progress=progress)["result"]

    def segment(
        self,
        method: str = "auto",
        feature: int = 0,
        *,
        frames: str = "frame",
        frame: int = 0,
        channel: int = 0,
        diameter: float | None = None,
        box: tuple[int, int, int, int] | None = None,
        new_feature: bool = False,
        progress: bool | None = None,
    ) -> dict:
        """Propose cells (one undoable edit that never changes a cell a person drew), as a job.

        `method` is ``"auto"`` (no training) or ``"learned"`` (trained on your cells inside
        `box`, ``(x1, y1, x2, y2)``, a region where every cell is drawn) or a plug-in's name;
        `frames` is ``"frame"`` (only `frame`) or ``"all"``; `diameter` (pixels) is measured from
        the image when left out. With `new_feature`, the cells go into a new label layer (made
        by the same edit, so one undo takes both away) instead of `feature`.

        Returns the job's result: ``cells`` (``{"cell", "frame", "confidence"}``, the least sure
        first), ``version``, ``diameters``, …. A refused request raises `BadRequestError` with
        the server's reason.
        """
        body: dict[str, Any] = {
            "method": method,
            "feature": feature,
            "frames": frames,
            "frame": frame,
            "channel": channel,
        }
        if diameter is not None:
            body["diameter"] = diameter
        if box is not None:
            body["box"] = [int(v) for v in box]
        if new_feature:
            body["new_feature"] = True
        job = self.client.request("segment", parts={"project_id": self.id}, json=body).json()
        return self.client.wait(job, progress=progress)["result"]


def download(
    client: Client, route: str, parts: dict, path: str | os.PathLike, **options: Any
) -> Path:
    """Stream a named route's answer into `path` (a folder gets the server's file name)."""
    from .client import raise_for_answer
    from .routes import route as address

    method, where = address(route, **parts)
    with client.http.stream(method, where, **options) as response:
        raise_for_answer(response)
        target = Path(path)
        if target.is_dir():
            target = target / file_name(response.headers.get("Content-Disposition", ""))
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as file:
            for piece in response.iter_bytes(1 << 20):
                file.write(piece)
        partial.replace(target)
    return target


def file_name(disposition: str) -> str:
    """The file name of a Content-Disposition header ("export" when it names none)."""
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename":
            return Path(value.strip('"')).name or "export"
    return "export"
