"""Label editing as pure functions on numpy arrays and plain lists: no Flask, no database."""

from deepcell_label.labels.actions import (
    ACTIONS,
    WRITE_MODES,
    Action,
    WindowTooSmall,
    add_cell,
    remove_cell,
)
from deepcell_label.labels.cell_actions import (
    CELL_ACTIONS,
    CellAction,
    delete_cell,
    new_cell,
    replace_cell,
    swap_cells,
)
from deepcell_label.labels.cellmap import CellMap, cell_mask, remap
from deepcell_label.labels.lineage import (
    add_daughter,
    apply_cell_type_action,
    division_feature,
    divisions_of,
    relabel_cell_types,
    relabel_divisions,
    remove_daughter,
    update_cell_types,
    update_divisions,
    validate_cell_type_action,
    validate_divisions,
    with_divisions_of,
)

__all__ = [
    "ACTIONS",
    "CELL_ACTIONS",
    "WRITE_MODES",
    "WindowTooSmall",
    "Action",
    "CellAction",
    "CellMap",
    "add_cell",
    "add_daughter",
    "apply_cell_type_action",
    "cell_mask",
    "delete_cell",
    "division_feature",
    "divisions_of",
    "new_cell",
    "relabel_cell_types",
    "relabel_divisions",
    "remap",
    "remove_cell",
    "remove_daughter",
    "replace_cell",
    "swap_cells",
    "update_cell_types",
    "update_divisions",
    "validate_cell_type_action",
    "validate_divisions",
    "with_divisions_of",
]
