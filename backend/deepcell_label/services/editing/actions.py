"""Applying one edit request: check it, route it to its action (pixels, cells, divisions, cell
types, channel names), and record it in one transaction."""

from __future__ import annotations

from flask import current_app

from ... import labels as label_actions
from ...errors import EditError
from ...formats import tiling
from ...learning.predictions import apply_predictions
from ...store import presence
from ...store.framestate import cell_frames, prefetch_frame
from ...store.models import Project
from ...store.rawtiles import raw_window
from . import stacks
from .history import ANONYMOUS, answer, check_base, describe_edit, parse_base_version
from .unit import EditContext, discard_undone, record, replace_item, transaction

WRITE_MODES = ("exclude", "overwrite", "overlap")
SCOPES = ("frame", "past", "future", "all")
DIVISION_ACTIONS = ("add_daughter", "remove_daughter")
CELL_TYPE_ACTIONS = (
    "create_cell_type",
    "rename_cell_type",
    "recolor_cell_type",
    "delete_cell_type",
    "reorder_cell_types",
    "add_to_cell_type",
    "remove_from_cell_type",
)
PROJECT_ACTIONS = ("rename_channel", "set_markers")
LEARNING_ACTIONS = ("apply_predictions",)
MAX_MARKER_NAME = 200
RETRIES = 5


def _require_int(args: dict, name: str, action: str) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EditError(f"{action} needs '{name}' as a whole number.")
    return value


def _pixel_action(
    context: EditContext, action: str, args: dict, frame: int, feature: int, write_mode: str
) -> None:
    project = context.project
    spec = label_actions.ACTIONS[action]
    args = dict(args)
    if action == "watershed" and args.get("new_cell") is None:
        args["new_cell"] = project.next_cell[feature]  # the server picks unused ids
    args = spec.validate(args, project.height, project.width)
    state = context.frame(feature, frame)
    box = spec.window(args, project.height, project.width, state.cell_box, frame)
    channel = args.get("channel", 0)
    if spec.uses_raw and (
        isinstance(channel, bool)
        or not isinstance(channel, int)
        or not 0 <= channel < project.channels
    ):
        raise EditError(
            f"{action} reads raw channel {channel!r}, but the project has channels "
            f"0–{project.channels - 1}."
        )
    whole = (0, 0, project.height, project.width)
    if action == "flood":
        _check_flood_size(context, args, frame, feature)
        # A background flood never reaches past its region.
        whole = args.get("region") or whole
    while True:
        raw = raw_window(project, frame, channel, box) if spec.uses_raw else None
        try:
            context.apply_window(
                feature,
                frame,
                box,
                lambda window, cellmap, box=box, raw=raw: spec.apply(
                    window, box[:2], cellmap, args, raw, write_mode, (project.height, project.width)
                ),
            )
            return
        except label_actions.WindowTooSmall as more:
            # The clicked value's pixels (or the background) continue past the window.
            info = state.index.get(more.value)
            bigger = (
                tiling.union(box, whole)
                if info is None
                else _pad(tiling.union(box, info.box), 1, (0, 0, project.height, project.width))
            )
            box = (0, 0, project.height, project.width) if bigger == box else bigger


def _check_flood_size(context: EditContext, args: dict, frame: int, feature: int) -> None:
    """Refuse a background flood that could fill more than FLOOD_MAX_PIXELS: on a large frame
    without a region, or with a region (the view) that large."""
    project = context.project
    limit = current_app.config["FLOOD_MAX_PIXELS"]
    region = args.get("region")
    if region is None:
        height, width = project.height, project.width
    else:
        height, width = region[2] - region[0], region[3] - region[1]
    if height * width <= limit:
        return
    x, y = args["x"], args["y"]
    point = (y, x, y + 1, x + 1)
    if context.tileset(feature, frame, point).read(point)[0, 0] != 0:
        return
    if region is None:
        raise EditError(
            f"Flooding the background of a {project.width}×{project.height} frame could fill "
            f"most of it (more than {limit:,} pixels). Zoom in and flood within the visible "
            "region (send 'region' with the flood)."
        )
    raise EditError(
        f"Flooding the background within a {width}×{height} region could fill more than "
        f"{limit:,} pixels. Zoom in further and flood again."
    )


def _pad(box: tiling.Box, margin: int, limit: tiling.Box) -> tiling.Box:
    return (
        max(limit[0], box[0] - margin),
        max(limit[1], box[1] - margin),
        min(limit[2], box[2] + margin),
        min(limit[3], box[3] + margin),
    )


def _scope_frames(project: Project, frame: int, scope: str) -> range:
    return {
        "frame": range(frame, frame + 1),
        "past": range(0, frame + 1),
        "future": range(frame, project.frames),
        "all": range(project.frames),
    }[scope]


def _cell_action(context: EditContext, action: str, args: dict, frame: int, feature: int) -> None:
    project = context.project
    spec = label_actions.CELL_ACTIONS[action]
    args = spec.validate(dict(args))
    action = spec.name
    scope = args.get("scope", "frame")
    cell = args["cell"]
    other = args.get("other_cell")
    new_id = None
    if action == "new":
        # The server picks the id, so two annotators can never pick the same one.
        new_id = project.next_cell[feature]
        args["new_cell"] = new_id
        context.set_list("next_cell", replace_item(project.next_cell, feature, new_id + 1))
    involved = {cell} | ({other} if other is not None else set())
    present = cell_frames(project, feature, involved)
    frames = [
        t
        for t in _scope_frames(project, frame, scope)
        if any(t in present.get(c, ()) for c in involved)
    ]
    if not frames:
        raise EditError(f"Cell {cell} is not in the frames of scope '{scope}' (feature {feature}).")
    for t in frames:
        state = context.frame(feature, t)
        box = None
        for c in involved:
            box = tiling.union(box, state.cell_box(c))
        context.apply_window(
            feature,
            t,
            box,
            lambda window, cellmap: spec.apply(window, cellmap, args),
        )
    cells = involved | ({new_id} if new_id else set())
    frames_after = context.frames_of(feature, cells)
    divisions = label_actions.divisions_of(project.divisions, feature)
    if divisions:
        updated = label_actions.update_divisions(
            divisions, action, cell, other, new_id, frames, frames_after
        )
        context.set_list(
            "divisions", label_actions.with_divisions_of(project.divisions, feature, updated)
        )
    if project.cell_types:
        context.set_list(
            "cell_types",
            label_actions.update_cell_types(
                project.cell_types,
                action,
                cell,
                other,
                new_id,
                {c for c, found in frames_after.items() if found},
            ),
        )


def _division_action(context: EditContext, action: str, args: dict, feature: int) -> None:
    """Add or remove daughters of a division of the edit's feature: one `daughter`, or several
    `daughters` at once (accepting a proposed division is one edit)."""
    project = context.project
    parent = _require_int(args, "parent", action)
    if set(args) - {"parent", "daughter", "daughters"} or ("daughter" in args) == (
        "daughters" in args
    ):
        raise EditError(f"{action} takes 'parent' and either 'daughter' or a list 'daughters'.")
    if "daughters" in args:
        named = args["daughters"]
        if not isinstance(named, list) or not 0 < len(named) <= 16:
            raise EditError(f"{action} needs 'daughters' as a list of 1 to 16 cell ids.")
        daughters = [_require_int({"daughter": d}, "daughter", action) for d in named]
    else:
        daughters = [_require_int(args, "daughter", action)]
    function = (
        label_actions.add_daughter if action == "add_daughter" else label_actions.remove_daughter
    )
    frames = presence.presence(project, feature)  # every cell's frames, kept current per process
    divisions = label_actions.divisions_of(project.divisions, feature)
    for daughter in daughters:
        divisions = function(divisions, parent, daughter, frames)
    context.set_list(
        "divisions", label_actions.with_divisions_of(project.divisions, feature, divisions)
    )


def _cell_type_action(context: EditContext, action: str, args: dict) -> None:
    before = context.project.cell_types
    context.set_list(
        "cell_types",
        label_actions.apply_cell_type_action(before, action, dict(args)),
    )
    if action == "rename_cell_type" and context.project.markers:
        # The marker panel names types: it follows a renamed type.
        old = next((t["name"] for t in before if t["id"] == args.get("id")), None)
        new = next(
            (t["name"] for t in context.project.cell_types if t["id"] == args.get("id")), None
        )
        markers = dict(context.project.markers)
        if old in markers and new not in markers:
            markers[new] = markers.pop(old)
            context.set_list("markers", markers)


def _apply_predictions(context: EditContext, args: dict) -> None:
    """Predicted types as one edit; cells that have a type keep it."""
    if set(args) != {"predictions"}:
        raise EditError('apply_predictions takes exactly \'predictions\': [{"cell", "type"}, ...].')
    types, added = apply_predictions(context.project.cell_types, args["predictions"])
    if not added:
        raise EditError("Every predicted cell already has a type; there is nothing to apply.")
    context.set_list("cell_types", types)


def _set_markers(context: EditContext, args: dict) -> None:
    """A cell type's marker channels (by name); an empty list forgets the type's markers."""
    project = context.project
    if set(args) != {"type", "channels"}:
        raise EditError(
            "set_markers takes exactly 'type' (a type name) and 'channels' (channel names)."
        )
    name, channels = args["type"], args["channels"]
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_MARKER_NAME:
        raise EditError(f"'type' must be a cell type name of 1 to {MAX_MARKER_NAME} characters.")
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise EditError("'channels' must be a list of channel names.")
    unknown = [c for c in channels if c not in project.channel_names]
    if unknown:
        raise EditError(
            f"{', '.join(repr(c[:40]) for c in unknown[:5])} {'is not a channel' if len(unknown) == 1 else 'are not channels'} "
            f"of the project; its channels are {', '.join(project.channel_names)[:300]}."
        )
    markers = dict(project.markers or {})
    if channels:
        markers[name.strip()] = list(dict.fromkeys(channels))
    elif name.strip() in markers:
        del markers[name.strip()]
    else:
        raise EditError(f"{name.strip()!r} has no markers to remove.")
    context.set_list("markers", markers)


def _rename_channel(context: EditContext, args: dict) -> None:
    project = context.project
    if set(args) != {"channel", "name"}:
        raise EditError("rename_channel takes exactly 'channel' and 'name'.")
    channel, name = args["channel"], args["name"]
    if isinstance(channel, bool) or not isinstance(channel, int):
        raise EditError("rename_channel needs 'channel' as a whole number.")
    if not 0 <= channel < project.channels:
        raise EditError(f"Channel {channel} does not exist; the project has {project.channels}.")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise EditError("A channel name is text of 1 to 100 characters.")
    context.set_list("channel_names", replace_item(project.channel_names, channel, name.strip()))


def dispatch(
    context: EditContext, action: str, args: dict, frame: int, feature: int, write_mode: str
) -> None:
    if action in label_actions.ACTIONS:
        _pixel_action(context, action, args, frame, feature, write_mode)
    elif action in label_actions.CELL_ACTIONS:
        _cell_action(context, action, args, frame, feature)
    elif action in DIVISION_ACTIONS:
        _division_action(context, action, args, feature)
    elif action in CELL_TYPE_ACTIONS:
        _cell_type_action(context, action, args)
    elif action in stacks.STACK_ACTIONS:
        stacks.dispatch(context, action, args, feature, write_mode)
    elif action == "rename_channel":
        _rename_channel(context, args)
    elif action == "set_markers":
        _set_markers(context, args)
    elif action in LEARNING_ACTIONS:
        _apply_predictions(context, args)
    else:
        known = sorted(
            [
                *label_actions.ACTIONS,
                *label_actions.CELL_ACTIONS,
                *DIVISION_ACTIONS,
                *CELL_TYPE_ACTIONS,
                *PROJECT_ACTIONS,
                *stacks.STACK_ACTIONS,
                *LEARNING_ACTIONS,
            ]
        )
        raise EditError(f"Unknown action {action[:80]!r}. Known actions: {', '.join(known)}.")


def apply_edit(project_id: str, request: dict, author: str = ANONYMOUS) -> dict:
    """Apply one edit request `{action, args, frame, feature, write_mode, base_version}`."""
    if not isinstance(request, dict):
        raise EditError("Send the edit as a JSON object with 'action' and 'args'.")
    extra = set(request) - {"action", "args", "frame", "feature", "write_mode", "base_version"}
    if extra:
        named = ", ".join(repr(name[:40]) for name in sorted(extra)[:5])
        raise EditError(
            f"Unknown fields {named} in the edit; allowed: action, args, frame, feature, "
            "write_mode, base_version."
        )
    action = request.get("action")
    if not isinstance(action, str) or not action:
        raise EditError("The edit needs an 'action' such as 'brush'.")
    args = request.get("args", {})
    if not isinstance(args, dict):
        raise EditError("'args' must be a JSON object.")
    write_mode = request.get("write_mode") or "exclude"
    if write_mode not in WRITE_MODES:
        raise EditError(
            f"'write_mode' must be one of {', '.join(WRITE_MODES)}, not {write_mode!r}."
        )
    base_version = parse_base_version(request.get("base_version"))
    frame = request.get("frame", 0)
    feature = request.get("feature", 0)

    if isinstance(frame, int) and isinstance(feature, int) and action in label_actions.ACTIONS:
        prefetch_frame(project_id, feature, frame)
    if isinstance(feature, int) and action in stacks.STACK_ACTIONS:
        for name in ("from_frame", "to_frame"):
            if isinstance(args.get(name), int):
                prefetch_frame(project_id, feature, args[name])

    def work(context: EditContext) -> dict:
        project = context.project
        check_base(project, base_version)
        for name, value, count in (
            ("frame", frame, project.frames),
            ("feature", feature, project.features),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
                raise EditError(f"'{name}' must be between 0 and {count - 1}, not {value!r}.")
        dispatch(context, action, args, frame, feature, write_mode)
        discard_undone(project, author)
        edit = record(
            project, context, "edit", action, args, frame, feature, write_mode, None, author
        )
        known = {"can_undo": True, "can_redo": False}
        return answer(project, base_version, [describe_edit(edit, context.changes)], known, author)

    return transaction(project_id, work)
