"""A calibrated classifier of cell types: scikit-learn's logistic regression on the normalised
features, weighted so that rare types count as much as common ones, and its probabilities
calibrated by Platt scaling fitted on out-of-fold predictions (``CalibratedClassifierCV``,
one final model).

Why this model: a few hundred typed cells are what an expert gives, and cell types in
multiplexed images are mostly told apart by which markers are bright, nearly a linear rule on
arcsinh-scaled intensities; a linear model learns that from few cells, trains on 10 000 in a
fraction of a second and predicts 100 000 in milliseconds. Class weights move its
probabilities towards rare types; the calibration brings them back to how often a prediction
is right. The model is kept with ``skops`` (no pickle: only the listed scikit-learn types are
loaded).

Training and predicting run BLAS on one thread (see ``threads.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from deepcell_label.errors import LearningError

from .features import Scaling
from .threads import one_blas_thread

MIN_TYPED_CELLS = 10
MIN_CELLS_PER_TYPE = 5
CURVE_STEPS = (0.2, 0.5, 1.0)
# What a stored model may contain besides plain data (checked when loading).
TRUSTED_TYPES = (
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.linear_model._logistic.LogisticRegression",
)

Progress = Callable[[float, str], None]


@dataclass
class TrainedClassifier:
    """A model with what it needs to predict: the scaling of its features, the source and
    columns they came from, and the classes (cell type ids) in the model's order."""

    model: object
    scaling: Scaling
    classes: list[int]
    source: str
    columns: list[str]

    @one_blas_thread
    def probabilities(self, values: np.ndarray) -> np.ndarray:
        """(cells, classes) probabilities of the raw (unnormalised) feature values."""
        if len(values) == 0:
            return np.zeros((0, len(self.classes)))
        return np.asarray(self.model.predict_proba(self.scaling.apply(values)), np.float64)

    def save(self) -> bytes:
        import skops.io as sio

        return sio.dumps(
            {
                "model": self.model,
                "scaling": self.scaling.as_arrays(),
                "classes": [int(c) for c in self.classes],
                "source": self.source,
                "columns": list(self.columns),
            }
        )

    @classmethod
    def load(cls, data: bytes) -> TrainedClassifier:
        import skops.io as sio

        unknown = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
        if unknown:
            raise LearningError(
                "The stored classifier holds types this server does not load "
                f"({', '.join(sorted(unknown))[:200]}). Train it again."
            )
        kept = sio.loads(data, trusted=list(TRUSTED_TYPES))
        return cls(
            kept["model"],
            Scaling.from_arrays(kept["scaling"]),
            [int(c) for c in kept["classes"]],
            str(kept["source"]),
            list(kept["columns"]),
        )


def _linear_model(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", max_iter=1000, C=1.0, random_state=seed)


def choose_classes(labels: np.ndarray, names: dict[int, str]) -> tuple[list[int], list[str]]:
    """The types with enough cells to learn, and a note for each type left out."""
    types, counts = np.unique(labels, return_counts=True)
    kept = [int(t) for t, n in zip(types, counts, strict=True) if n >= MIN_CELLS_PER_TYPE]
    left_out = [
        f"{names.get(int(t), t)} ({n} cell{'s' if n != 1 else ''})"
        for t, n in zip(types, counts, strict=True)
        if n < MIN_CELLS_PER_TYPE
    ]
    return kept, left_out


def check_trainable(labels: np.ndarray, names: dict[int, str]) -> tuple[list[int], list[str]]:
    """Refuse what cannot be learnt: fewer than MIN_TYPED_CELLS typed cells, or fewer than two
    types with MIN_CELLS_PER_TYPE cells each."""
    if len(labels) < MIN_TYPED_CELLS:
        raise LearningError(
            f"Only {len(labels)} cell{'s have' if len(labels) != 1 else ' has'} a type; type at "
            f"least {MIN_TYPED_CELLS} cells (at least {MIN_CELLS_PER_TYPE} of each of two types) "
            "before training."
        )
    kept, left_out = choose_classes(labels, names)
    if len(kept) < 2:
        have = ", ".join(
            f"{names.get(int(t), t)}: {n}"
            for t, n in zip(*np.unique(labels, return_counts=True), strict=True)
        )
        raise LearningError(
            f"A classifier needs at least two cell types with {MIN_CELLS_PER_TYPE} or more typed "
            f"cells each (now {have or 'none'}). Type more cells of a second type."
        )
    return kept, left_out


@one_blas_thread
def train(
    values: np.ndarray,
    labels: np.ndarray,
    scaling: Scaling,
    classes: Sequence[int],
    source: str,
    columns: list[str],
    train_fraction: float = 0.8,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[TrainedClassifier, dict]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.metrics import accuracy_score, confusion_matrix
    from sklearn.model_selection import train_test_split

    tell = progress or (lambda fraction, message: None)
    classes = [int(c) for c in classes]
    chosen = np.isin(labels, classes)
    features = scaling.apply(np.asarray(values)[chosen])
    labels = np.asarray(labels)[chosen]
    try:
        train_x, valid_x, train_y, valid_y = train_test_split(
            features, labels, train_size=train_fraction, random_state=seed, stratify=labels
        )
    except ValueError as error:
        raise LearningError(
            f"The typed cells cannot be split {train_fraction:.0%} / {1 - train_fraction:.0%} "
            f"with every type on both sides ({error}). Type more cells, or change the split."
        ) from None
    smallest = int(np.unique(train_y, return_counts=True)[1].min())
    if len(np.unique(train_y)) < len(classes) or smallest < 2:
        raise LearningError(
            "Some type has fewer than two cells in the training share; type more cells of it, "
            "or raise train_fraction."
        )
    curve = {"cells": [], "train_accuracy": [], "validation_accuracy": []}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train_y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny shares
        for step, share in enumerate(CURVE_STEPS[:-1]):
            tell(
                0.1 + 0.5 * step / len(CURVE_STEPS),
                f"Learning curve: {share:.0%} of the training cells",
            )
            subset = _stratified_prefix(order, train_y, share)
            if len(np.unique(train_y[subset])) < 2:
                continue
            model = _linear_model(seed).fit(train_x[subset], train_y[subset])
            curve["cells"].append(int(subset.size))
            curve["train_accuracy"].append(
                round(float(model.score(train_x[subset], train_y[subset])), 4)
            )
            curve["validation_accuracy"].append(_accuracy_on(model, valid_x, valid_y))
        tell(0.6, f"Training on {len(train_y):,} cells, calibrating")
        calibrated = CalibratedClassifierCV(
            _linear_model(seed), method="sigmoid", cv=min(3, smallest), ensemble=False
        ).fit(train_x, train_y)
    predicted = calibrated.predict(valid_x)
    train_accuracy = float(accuracy_score(train_y, calibrated.predict(train_x)))
    validation_accuracy = float(accuracy_score(valid_y, predicted))
    curve["cells"].append(int(len(train_y)))
    curve["train_accuracy"].append(round(train_accuracy, 4))
    curve["validation_accuracy"].append(round(validation_accuracy, 4))
    model_classes = [int(c) for c in calibrated.classes_]
    report = {
        "classes": model_classes,
        "train_cells": int(len(train_y)),
        "validation_cells": int(len(valid_y)),
        "validation_accuracy": round(validation_accuracy, 4),
        "confusion": confusion_matrix(valid_y, predicted, labels=model_classes).tolist(),
        "curve": curve,
    }
    return TrainedClassifier(calibrated, scaling, model_classes, source, list(columns)), report


def _accuracy_on(model, x: np.ndarray, y: np.ndarray) -> float:
    return round(float(np.mean(model.predict(x) == y)), 4)


def _stratified_prefix(order: np.ndarray, labels: np.ndarray, share: float) -> np.ndarray:
    """A seeded share of the cells with about the same share of each type (at least one)."""
    chosen = []
    for label in np.unique(labels):
        members = order[labels[order] == label]
        chosen.append(members[: max(1, round(share * members.size))])
    return np.sort(np.concatenate(chosen))
