"""How good a campaign's labels are: agreement of an image's replicas and of an annotator's work
with gold, the cells where replicas disagree, what goes to review, and the dashboard's figures
(per state, over time, per annotator, with active time from the edit times)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from sqlalchemy import func, select

from ...errors import EditError, NotFoundError
from ...labels import agreement
from ...store.campaigns import Campaign, CampaignImage, Task, TaskEvent
from ...store.labelstore import read_frame
from ...store.models import Edit, Project, db
from ...store.relabels import distinct_cells
from ...store.storage import storage
from .manage import counts, require_role, role_of

HANDED_IN = ("submitted", "in_review", "accepted")
# Edits further apart than this count as a pause, not as time spent labelling.
PAUSE_SECONDS = 5 * 60


def task_labels(task: Task, frame: int = 0, feature: int = 0) -> np.ndarray:
    """The labels of one frame and feature of a task's project (the first by default)."""
    return read_frame(db.session.get(Project, task.project_id), feature, frame)


def plane_index(value: str | None, name: str, count: int) -> int:
    """A `frame` or `feature` of a query (0 when left out), one of the project's `count`."""
    if value is None:
        return 0
    plural = f"{name}s" if count != 1 else name
    if not (value.isdigit() and len(value) < 7 and int(value) < count):
        raise EditError(
            f"'{name}' must be a whole number from 0 to {count - 1} (the image has {count} "
            f"{plural}), not {value[:20]!r}."
        )
    return int(value)


def reference_labels(image: CampaignImage) -> np.ndarray:
    buffer = io.BytesIO()
    storage().get_file(image.reference_key, buffer)
    buffer.seek(0)
    return np.load(buffer, allow_pickle=False)


def settle(campaign: Campaign, task: Task, decide: Callable[[Campaign, Task, bool], bool]) -> None:
    """After a submit: score a gold task, measure the image's agreement once every replica is
    handed in, and decide for each handed-in task whether it goes to review (`decide`); a task
    that does not is accepted."""
    image = db.session.get(CampaignImage, task.image_id)
    threshold = campaign.agreement_threshold
    if task.gold and image.reference_key:
        task.gold_f1 = agreement.compare(reference_labels(image), task_labels(task)).f1
    siblings = db.session.scalars(
        select(Task).where(Task.image_id == image.id, Task.replica > 0).order_by(Task.id)
    ).all()
    image_below = False
    if len(siblings) > 1 and all(t.state in HANDED_IN for t in siblings):
        labels = [task_labels(t) for t in siblings]
        pairs = agreement.pairwise(labels)
        image.agreement = agreement.mean_agreement(list(pairs.values())).as_dict()
        for i, sibling in enumerate(siblings):
            sibling.agreement = float(
                np.mean([found.f1 for pair, found in pairs.items() if i in pair])
            )
        image_below = image.agreement["f1"] < threshold
    elif len(siblings) > 1:
        return  # decided once the other replicas are handed in
    for sibling in siblings:
        if sibling.state != "submitted" or sibling.needs_review is not None:
            continue
        below = image_below or (sibling.gold_f1 is not None and sibling.gold_f1 < threshold)
        sibling.needs_review = decide(campaign, sibling, below)
        if not sibling.needs_review:
            from .events import transition

            transition(sibling, "accepted", "system", "no review needed")


def agreement_report(campaign_id: str, username: str) -> dict:
    """Each image's agreement between replicas, and each annotator's against the others and
    against gold."""
    require_role(campaign_id, username, "reviewer")
    images = [
        {"image": image.name, "id": image.id, **image.agreement}
        for image in db.session.scalars(
            select(CampaignImage)
            .where(CampaignImage.campaign_id == campaign_id, CampaignImage.agreement.is_not(None))
            .order_by(CampaignImage.id)
        )
    ]
    rows = db.session.execute(
        select(
            Task.annotator,
            func.count(),
            func.avg(Task.agreement),
            func.avg(Task.gold_f1),
        )
        .where(Task.campaign_id == campaign_id, Task.annotator.is_not(None))
        .group_by(Task.annotator)
        .order_by(Task.annotator)
    ).all()
    annotators = [
        {
            "username": name,
            "tasks": count,
            "agreement_f1": None if f1 is None else float(f1),
            "gold_f1": None if gold is None else float(gold),
        }
        for name, count, f1, gold in rows
    ]
    return {"images": images, "annotators": annotators}


def disagreement(
    project_id: str,
    others: list[str] | None,
    username: str,
    frame: str | None = None,
    feature: str | None = None,
) -> dict:
    """The cells of one frame and feature of a replica's project that disagree with the same
    frame and feature of other replicas of its image.

    `others`: the projects of the other replicas to compare with (every other replica of the
    image when None). `frame`, `feature`: as the query gives them (the first when None). Against
    each: `unmatched`, its cells with no match at IoU >= 0.5 in the other replica, and `merges`,
    its cells covering two or more of the other's (a cell the other splits). Reviewers and
    managers of the campaign only; anyone else is told there is no such replica (404), as for a
    project that is no replica at all.
    """
    task = db.session.scalar(
        select(Task).where(Task.project_id == project_id, Task.replica > 0).limit(1)
    )
    if task is None or role_of(task.campaign_id, username) is None:
        raise NotFoundError(f"Project {project_id!r} is no replica of a campaign image you review.")
    require_role(task.campaign_id, username, "reviewer")
    project = db.session.get(Project, project_id)
    frame_index = plane_index(frame, "frame", project.frames)
    feature_index = plane_index(feature, "feature", project.features)
    image = db.session.get(CampaignImage, task.image_id)
    siblings = db.session.scalars(
        select(Task)
        .where(Task.image_id == image.id, Task.replica > 0, Task.id != task.id)
        .order_by(Task.replica, Task.id)
    ).all()
    if others is not None:
        by_project = {sibling.project_id: sibling for sibling in siblings}
        strays = [other for other in others if other not in by_project]
        if strays:
            raise EditError(
                f"{', '.join(map(repr, strays))} is no other replica of the image "
                f"{image.name!r}; compare with the projects of its other replicas."
            )
        siblings = [by_project[other] for other in dict.fromkeys(others)]
    labels = task_labels(task, frame_index, feature_index)
    against = []
    for sibling in siblings:
        found = agreement.disagreeing_cells(
            labels, task_labels(sibling, frame_index, feature_index)
        )
        against.append(
            {
                "project": sibling.project_id,
                "replica": sibling.replica,
                "task": sibling.id,
                "unmatched": found.missed,
                "merges": found.splits,
            }
        )
    cells = sorted({cell for other in against for cell in other["unmatched"] + other["merges"]})
    return {
        "campaign": task.campaign_id,
        "image": {"id": image.id, "name": image.name},
        "project": project_id,
        "replica": task.replica,
        "task": task.id,
        "frame": frame_index,
        "feature": feature_index,
        "cells": cells,
        "against": against,
    }


def active_seconds(times: list) -> float:
    """Time spent from a sorted list of edit times: gaps longer than a pause do not count."""
    gaps = np.diff(np.array([t.timestamp() for t in times], float)) if len(times) > 1 else []
    return float(sum(g for g in gaps if g <= PAUSE_SECONDS))


def stats(campaign_id: str, username: str) -> dict:
    """The dashboard: tasks per state, state changes per hour, and per annotator their tasks,
    cells drawn, active time, agreement and gold scores."""
    require_role(campaign_id, username, "reviewer")
    timeline: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, state in db.session.execute(
        select(TaskEvent.at, TaskEvent.to_state)
        .join(Task, Task.id == TaskEvent.task_id)
        .where(Task.campaign_id == campaign_id)
        .order_by(TaskEvent.at)
    ):
        timeline[at.strftime("%Y-%m-%dT%H:00:00Z")][state] += 1
    tasks = db.session.scalars(
        select(Task).where(Task.campaign_id == campaign_id, Task.annotator.is_not(None))
    ).all()
    people: dict[str, dict] = {}
    for task in tasks:
        person = people.setdefault(
            task.annotator,
            {
                "username": task.annotator,
                "tasks": 0,
                "submitted": 0,
                "accepted": 0,
                "rejected": 0,
                "cells": 0,
                "active_seconds": 0.0,
                "agreement_f1": [],
                "gold_f1": [],
            },
        )
        person["tasks"] += 1
        if task.state in HANDED_IN:
            person["submitted"] += 1
        if task.state in ("accepted", "rejected"):
            person[task.state] += 1
        person["cells"] += len(distinct_cells(task.project_id))
        times = db.session.scalars(
            select(Edit.created)
            .where(Edit.project_id == task.project_id, Edit.author == task.annotator)
            .order_by(Edit.created)
        ).all()
        person["active_seconds"] += active_seconds(list(times))
        for field in ("agreement", "gold_f1"):
            value = getattr(task, field)
            if value is not None:
                person["agreement_f1" if field == "agreement" else "gold_f1"].append(value)
    annotators = []
    for person in sorted(people.values(), key=lambda p: p["username"]):
        for field in ("agreement_f1", "gold_f1"):
            person[field] = float(np.mean(person[field])) if person[field] else None
        annotators.append(person)
    return {
        "counts": counts(campaign_id),
        "timeline": [{"hour": hour, **states} for hour, states in sorted(timeline.items())],
        "annotators": annotators,
    }


STATS_COLUMNS = (
    "username",
    "tasks",
    "submitted",
    "accepted",
    "rejected",
    "cells",
    "active_seconds",
    "agreement_f1",
    "gold_f1",
)


def stats_csv(campaign_id: str, username: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, STATS_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for person in stats(campaign_id, username)["annotators"]:
        writer.writerow(person)
    return out.getvalue()
