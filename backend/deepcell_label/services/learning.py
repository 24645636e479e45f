"""Cell types that learn: the embedding, classifier and prediction jobs, the imported vectors
of the cells and the kept results (embeddings per labels version, the trained classifier).

Requests check their parameters and queue a job (or, for an embedding already computed for
these labels, record it done at once); the jobs measure the cells from the stored tiles and
run the pure code of ``learning/``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable

import numpy as np
from flask import current_app
from sqlalchemy import select

from ..errors import InputFormatError, LearningError, NotFoundError
from ..formats.learning_files import (
    EMBEDDINGS_FILE,
    MARKERS_FILE,
    check_cells_exist,
    embeddings_json,
    parse_embeddings,
)
from ..labels.expression import combine_frames, plane_expression
from ..learning import classifier, embedding, predictions
from ..learning.features import (
    SOURCES,
    FeatureTable,
    Measurements,
    cell_shapes,
    combine_shapes,
    feature_table,
    finite_rows,
    join,
    normalise,
)
from ..store.framestate import read_state
from ..store.labelstore import read_frame
from ..store.models import Edit, Project, db
from ..store.projects import get_project, require_ready
from ..store.rawtiles import project_prefix
from ..store.relabels import distinct_cells
from ..store.storage import storage
from . import jobs
from .jobs import JobContext, JobKind
from .measurements import _planes_ahead

FRAMES = ("frame", "all")
MAX_EMBEDDINGS_BYTES = 512 * 2**20
Progress = Callable[[float, str], None]


# ---------------------------------------------------------------- requests


def _whole(body: dict, name: str, default=None, low: int = 0, high: int = 2**31 - 1) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LearningError(
            f"'{name}' must be a whole number from {low} to {high}, not {str(value)[:40]!r}."
        )
    return value


def _selection(project: Project, body: dict) -> dict:
    """The cells asked for: ``{feature, frames, frame}`` checked against the project."""
    if not isinstance(body, dict):
        raise LearningError(
            'Send the request as a JSON object, e.g. {"feature": 0, "frames": "all"}.'
        )
    feature = _whole(body, "feature", 0, 0, max(project.features - 1, 0))
    frames = body.get("frames", "all")
    if frames not in FRAMES:
        raise LearningError(f'\'frames\' must be "frame" or "all", not {str(frames)[:40]!r}.')
    frame = _whole(body, "frame", 0, 0, max(project.frames - 1, 0)) if frames == "frame" else None
    count = _cell_count(project.id, feature, frame)
    if count < embedding.MIN_CELLS:
        where = "in this frame" if frame is not None else "in any frame"
        raise LearningError(
            f"Feature {feature} has {count} cell{'s' if count != 1 else ''} {where}; learning "
            f"needs at least {embedding.MIN_CELLS}. Draw or import labels first, or choose all frames."
        )
    return {"feature": feature, "frames": frames, "frame": frame}


def _cell_count(project_id: str, feature: int, frame: int | None) -> int:
    return len(distinct_cells(project_id, feature, frame))


def _source(body: dict, project: Project, feature: int) -> str:
    source = body.get("source", "mean")
    if source not in SOURCES:
        raise LearningError(
            f"Unknown source {str(source)[:40]!r}; choose one of {', '.join(SOURCES)}."
        )
    if source == "imported" and not _imported_for(project, feature):
        raise LearningError(
            f"Feature {feature} has no imported embeddings. Upload an embeddings.json "
            '({"<cell>": [numbers...]}) first, or choose another source.'
        )
    return source


def _unknown_fields(body: dict, allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise LearningError(
            f"Unknown fields {', '.join(repr(e[:40]) for e in extra[:5])}; allowed: {', '.join(sorted(allowed))}."
        )


def start_embedding(project_id: str, body: dict, author: str = "") -> dict:
    """Queue the embedding of the cells asked for, or answer at once with the one kept for
    the same cells, source and labels."""
    project = require_ready(get_project(project_id))
    body = body if isinstance(body, dict) else None
    params = _selection(project, body)
    _unknown_fields(body, {"feature", "frames", "frame", "source", "seed"})
    params["source"] = _source(body, project, params["feature"])
    params["seed"] = _whole(body, "seed", 0)
    params["key"] = _embedding_key(project, params)
    params.update(_made_at(project, params))
    if storage().exists(params["key"]):
        kept = json.loads(storage().get(params["key"]))
        return jobs.describe(jobs.record_done("embedding", project.id, params, kept, author))
    return jobs.describe(jobs.submit("embedding", project.id, params, author))


def start_classifier(project_id: str, body: dict, author: str = "") -> dict:
    project = require_ready(get_project(project_id))
    body = body if isinstance(body, dict) else None
    params = _selection(project, body)
    _unknown_fields(body, {"feature", "frames", "frame", "source", "train_fraction", "seed"})
    params["source"] = _source(body, project, params["feature"])
    fraction = body.get("train_fraction", 0.8)
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not 0.5 <= fraction <= 0.95
    ):
        raise LearningError(
            f"'train_fraction' must be a number from 0.5 to 0.95, not {str(fraction)[:40]!r}."
        )
    params["train_fraction"] = float(fraction)
    params["seed"] = _whole(body, "seed", 0)
    labels = _typed_cells(project, params["feature"])
    classifier.check_trainable(np.array(list(labels.values()), np.int64), _type_names(project))
    params.update(_made_at(project, params))
    return jobs.describe(jobs.submit("classifier", project.id, params, author))


def start_predictions(project_id: str, body: dict, author: str = "") -> dict:
    project = require_ready(get_project(project_id))
    body = body if isinstance(body, dict) else None
    params = _selection(project, body)
    _unknown_fields(body, {"feature", "frames", "frame"})
    if not storage().exists(_model_key(project.id, params["feature"])):
        raise LearningError(
            f"There is no trained classifier for feature {params['feature']}. Train one first.", 409
        )
    params.update(_made_at(project, params))
    return jobs.describe(jobs.submit("predictions", project.id, params, author))


def _made_at(project: Project, params: dict) -> dict:
    """The state a result is made from, kept with its job: the feature's labels version, and
    the imported vectors' version for the imported source."""
    made = {"labels_version": labels_version(project, params["feature"])}
    if params.get("source") == "imported":
        made["vectors_version"] = _vectors_version(project)
    return made


def _vectors_version(project: Project) -> int:
    return int((project.embeddings or {}).get("version", 0))


def channels_to_learn_from(project: Project) -> list[str]:
    """The names of the raw channels that carry something: a channel of one flat value (a blank
    image) gives every cell the same expression."""
    ranges = project.channel_ranges or []
    return [
        name for name, (low, high) in zip(project.channel_names, ranges, strict=False) if high > low
    ]


def kept_results(project_id: str, feature: int) -> dict:
    """The latest embedding, classifier report and predictions made for a feature, each with
    the labels version it was made at and whether the labels (or imported vectors) changed
    since; the jobs of the feature still at work; and what the project has to learn from (its
    cells, its channels with signal)."""
    project = require_ready(get_project(project_id))
    if not 0 <= feature < max(project.features, 1):
        raise NotFoundError(
            f"Feature {feature} does not exist; the project has {project.features}."
        )
    now = labels_version(project, feature)

    def of_feature(params: dict) -> bool:
        return int(params.get("feature", -1)) == feature

    found = {kind: jobs.latest(project.id, kind, of_feature) for kind in KINDS}
    unfinished = {
        kind: jobs.latest(project.id, kind, of_feature, ("queued", "running")) for kind in KINDS
    }

    def described(kind: str) -> dict | None:
        job = found[kind]
        if job is None:
            return None
        made = job.params.get("labels_version")
        out_of_date = made is None or int(made) != now
        if job.params.get("source") == "imported":
            out_of_date |= job.params.get("vectors_version") != _vectors_version(project)
        if kind == "predictions" and found["classifier"] is not None:
            # Predictions of a classifier trained again since are not the classifier's.
            out_of_date |= job.finished < found["classifier"].finished
        return {
            "job": job.id,
            "made": job.finished.isoformat() + "Z" if job.finished else None,
            "labels_version": made,
            "out_of_date": out_of_date,
            "result": job.result,
        }

    return {
        "feature": feature,
        "labels_version": now,
        "cells": _cell_count(project.id, feature, None),
        "min_cells": embedding.MIN_CELLS,
        "channels": channels_to_learn_from(project),
        **{kind: described(kind) for kind in KINDS},
        # Jobs still at work (asked before a reload, or by someone else): to follow.
        "running": {kind: jobs.describe(job) for kind, job in unfinished.items() if job},
    }


# ---------------------------------------------------------------- kept results


def _learning_prefix(project_id: str) -> str:
    return f"{project_prefix(project_id)}learning/"


def _model_key(project_id: str, feature: int) -> str:
    return f"{_learning_prefix(project_id)}classifier-{feature}.skops"


def _vectors_folder(project_id: str) -> str:
    return f"{_learning_prefix(project_id)}vectors/"


def _vectors_key(project_id: str) -> str:
    return f"{_vectors_folder(project_id)}embeddings.npz"


def labels_version(project: Project, feature: int) -> int:
    """The version of the last edit, undo or redo that changed this feature's labels: an
    embedding of measured cells stays right until then (type edits do not change it)."""
    rows = db.session.execute(
        select(Edit.version, Edit.touched)
        .where(Edit.project_id == project.id)
        .order_by(Edit.version.desc())
    )
    for version, touched in rows:
        if any(int(pair[0]) == feature for pair in touched or ()):
            return int(version)
    return 0


def _embedding_key(project: Project, params: dict) -> str:
    if params["source"] == "imported":
        state = f"vectors {_vectors_version(project)}"
    else:
        state = f"labels {labels_version(project, params['feature'])}"
    described = json.dumps(
        [
            params["feature"],
            params["frames"],
            params["frame"],
            params["source"],
            params["seed"],
            state,
        ]
    )
    digest = hashlib.sha256(described.encode()).hexdigest()[:24]
    return f"{_learning_prefix(project.id)}embedding-{digest}.json"


# ---------------------------------------------------------------- measurements


def _frames_of(project: Project, params: dict) -> list[int]:
    return list(range(project.frames)) if params["frames"] == "all" else [params["frame"]]


def measure(project: Project, feature: int, frames: list[int], progress: Progress) -> Measurements:
    """Expression and shape of every cell of ``feature`` in ``frames``, read from the store."""
    expressions, shapes = [], []
    for step, t in enumerate(frames):
        progress(
            0.5 * step / len(frames),
            f"Measuring the cells of frame {t + 1} ({step + 1} of {len(frames)})",
        )
        labels = read_frame(project, feature, t)
        mapping = read_state(project, feature, t).cellmap.mapping
        expressions.append(plane_expression(labels, _planes_ahead(project, t), mapping))
        shapes.append(cell_shapes(labels, mapping))
    expression = (
        expressions[0] if len(expressions) == 1 else combine_frames(expressions, project.channels)
    )
    shape = shapes[0] if len(shapes) == 1 else combine_shapes(shapes)
    return join(expression, shape, list(project.channel_names))


def _features(project: Project, params: dict, progress: Progress) -> FeatureTable:
    """The source's features of the cells asked for (only cells present in those frames)."""
    feature = params["feature"]
    measured = measure(project, feature, _frames_of(project, params), progress)
    if params["source"] != "imported":
        table = feature_table(params["source"], measured)
    else:
        cells, vectors = imported_vectors(project, feature)
        keep = np.isin(cells, measured.cells)
        table = feature_table("imported", None, (cells[keep], vectors[keep]))
    keep = finite_rows(table.values)
    table.cells, table.values = table.cells[keep], table.values[keep]
    return table


def _typed_cells(project: Project, feature: int) -> dict[int, int]:
    """cell -> type id of the cells with exactly one type of this feature (a cell in two types
    is ambiguous and left out)."""
    seen: dict[int, list[int]] = {}
    for cell_type in project.cell_types:
        if int(cell_type.get("feature", 0)) != feature:
            continue
        for cell in cell_type["cells"]:
            seen.setdefault(int(cell), []).append(int(cell_type["id"]))
    return {cell: types[0] for cell, types in seen.items() if len(types) == 1}


def _all_typed(project: Project, feature: int) -> set[int]:
    return {
        int(c)
        for t in project.cell_types
        if int(t.get("feature", 0)) == feature
        for c in t["cells"]
    }


def _type_names(project: Project) -> dict[int, str]:
    return {int(t["id"]): str(t["name"]) for t in project.cell_types}


# ---------------------------------------------------------------- jobs


def _project_of(context: JobContext) -> Project:
    return require_ready(get_project(context.project_id))


def _reporter(context: JobContext, start: float = 0.0, share: float = 1.0) -> Progress:
    return lambda fraction, message: context.progress(start + share * fraction, message)


def run_embedding(context: JobContext) -> dict:
    """The embedding job: measure, normalise, lay out with UMAP; kept for the next asker."""
    project = _project_of(context)
    params = context.params
    table = _features(project, params, _reporter(context, 0.0, 0.6))
    values, _ = normalise(table)
    layout = embedding.embed(
        values,
        params.get("seed", 0),
        _reporter(context, 0.6, 0.4),
        current_app.config["EMBEDDING_FIT_CELLS"],
    )
    result = {
        "feature": params["feature"],
        "frames": params["frames"],
        "frame": params["frame"],
        "source": params["source"],
        "columns": table.columns,
        "cells": [
            {"cell": int(c), "x": round(float(x), 5), "y": round(float(y), 5)}
            for c, (x, y) in zip(table.cells, layout, strict=True)
        ],
    }
    storage().put(params["key"], json.dumps(result).encode())
    return result


def run_classifier(context: JobContext) -> dict:
    """The training job: features of every cell (for the scaling), the typed ones to learn."""
    project = _project_of(context)
    params = context.params
    feature = params["feature"]
    table = _features(project, params, _reporter(context, 0.0, 0.5))
    typed = _typed_cells(project, feature)
    rows = np.flatnonzero(np.isin(table.cells, list(typed)))
    labels = np.array([typed[int(c)] for c in table.cells[rows]], np.int64)
    names = _type_names(project)
    kept, left_out = classifier.check_trainable(labels, names)
    _, scaling = normalise(table)
    trained, report = classifier.train(
        table.values[rows],
        labels,
        scaling,
        kept,
        params["source"],
        table.columns,
        params["train_fraction"],
        params["seed"],
        _reporter(context, 0.5, 0.45),
    )
    storage().put(_model_key(project.id, feature), trained.save())
    return {
        **report,
        "type_names": [names.get(c, str(c)) for c in report["classes"]],
        "left_out": left_out,
        "source": params["source"],
        "feature": feature,
        "trained_version": project.version,
    }


def run_predictions(context: JobContext) -> dict:
    """The prediction job: the likeliest type of every cell without one, least sure first."""
    project = _project_of(context)
    params = context.params
    feature = params["feature"]
    try:
        trained = classifier.TrainedClassifier.load(storage().get(_model_key(project.id, feature)))
    except KeyError:
        raise LearningError(
            f"There is no trained classifier for feature {feature}. Train one first.", 409
        ) from None
    table = _features(project, {**params, "source": trained.source}, _reporter(context, 0.0, 0.8))
    untyped = ~np.isin(table.cells, list(_all_typed(project, feature)))
    cells = table.cells[untyped]
    context.progress(0.85, f"Predicting the types of {cells.size:,} cells")
    probabilities = trained.probabilities(table.values[untyped])
    types, probability, uncertainty = predictions.predict(probabilities, trained.classes)
    order = predictions.most_uncertain_first(uncertainty, cells)
    known = {int(t["id"]) for t in project.cell_types}
    return {
        "feature": feature,
        "source": trained.source,
        "classes": trained.classes,
        "stale_types": sorted(set(trained.classes) - known),
        "predictions": [
            {
                "cell": int(cells[i]),
                "type": int(types[i]),
                "probability": round(float(probability[i]), 4),
                "uncertainty": round(float(uncertainty[i]), 4),
            }
            for i in order
            if int(types[i]) in known
        ],
    }


EMBEDDING = JobKind(run_embedding)
CLASSIFIER = JobKind(run_classifier)
PREDICTIONS = JobKind(run_predictions)
KINDS = {"embedding": EMBEDDING, "classifier": CLASSIFIER, "predictions": PREDICTIONS}


# ---------------------------------------------------------------- imported vectors


def _imported_for(project: Project, feature: int) -> bool:
    return bool(project.embeddings) and int(project.embeddings.get("feature", 0)) == feature


def imported_vectors(project: Project, feature: int) -> tuple[np.ndarray, np.ndarray]:
    if not _imported_for(project, feature):
        raise LearningError(f"Feature {feature} has no imported embeddings.")
    with np.load(io.BytesIO(storage().get(_vectors_key(project.id))), allow_pickle=False) as kept:
        return kept["cells"], kept["vectors"]


def known_cells(project_id: str, feature: int) -> np.ndarray:
    return distinct_cells(project_id, feature)


def keep_vectors(project: Project, cells: np.ndarray, vectors: np.ndarray, feature: int) -> dict:
    """Store checked vectors (cells that exist) and note them on the project row (the caller
    commits)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, cells=np.asarray(cells, np.int64), vectors=np.asarray(vectors, np.float64)
    )
    storage().put(_vectors_key(project.id), buffer.getvalue())
    version = int((project.embeddings or {}).get("version", 0)) + 1
    project.embeddings = {
        "feature": feature,
        "cells": int(len(cells)),
        "dimensions": int(np.shape(vectors)[1]),
        "version": version,
    }
    return project.embeddings


def import_embeddings(project_id: str, data: bytes, feature: int) -> dict:
    """Upload an ``embeddings.json`` to a project: checked (same length, finite, cells of this
    feature), kept in storage, replacing any vectors imported before."""
    project = require_ready(get_project(project_id))
    if not 0 <= feature < project.features:
        raise NotFoundError(
            f"Feature {feature} does not exist; the project has {project.features}."
        )
    if len(data) > MAX_EMBEDDINGS_BYTES:
        raise LearningError(
            f"embeddings.json is larger than {MAX_EMBEDDINGS_BYTES // 2**20} MB.", 413
        )
    try:
        content = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InputFormatError(f"embeddings.json is not valid JSON ({error}).") from None
    cells, vectors = parse_embeddings(content)
    check_cells_exist(cells, known_cells(project.id, feature))
    try:
        summary = keep_vectors(project, cells, vectors, feature)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return summary


def remove_embeddings(project_id: str) -> None:
    project = require_ready(get_project(project_id))
    try:
        project.embeddings = None
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    storage().delete_prefix(_vectors_folder(project.id))


def keep_imported(
    project_id: str, vectors: tuple[np.ndarray, np.ndarray] | None, markers: dict | None
) -> None:
    """A new project's imported vectors (from its zip's embeddings.json, checked against the
    cells of feature 0) and marker panel (markers.json)."""
    if vectors is None and not markers:
        return
    project = get_project(project_id)
    try:
        if vectors is not None:
            check_cells_exist(vectors[0], known_cells(project_id, 0))
            keep_vectors(project, vectors[0], vectors[1], 0)
        if markers:
            project.markers = dict(markers)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def zip_files(project: Project) -> dict[str, bytes]:
    """The project zip's files of this part: embeddings.json and markers.json, when there are."""
    files = {}
    if project.embeddings:
        cells, vectors = imported_vectors(project, int(project.embeddings.get("feature", 0)))
        files[EMBEDDINGS_FILE] = embeddings_json(cells, vectors)
    if project.markers:
        files[MARKERS_FILE] = json.dumps(project.markers).encode()
    return files
