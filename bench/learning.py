"""Cell types that learn: training, prediction, embedding, and the Learn panel's scatter plot.

- Training on 10 000 typed cells × 40 channels (8 types, unbalanced; the features of the
  `mean` source: 40 channel means and 6 shape figures), as the classifier job runs it:
  learning curve, calibrated model (3 folds), validation. Baseline in the same run: one plain
  scikit-learn LogisticRegression fit on the same normalised cells (BLAS on one thread, as the
  job runs it).
- Prediction for 100 000 cells: normalising, calibrated probabilities, type, uncertainty and
  the least-sure-first order. Baseline: the plain model's `predict_proba`.
- Embedding of 20 000 cells (40 channels): UMAP as the embedding job runs it, the first call
  in a process (numba compiles UMAP's functions then) and a second one. Baseline: a 2-D PCA.
- The scatter's frame time with 100 000 points in the browser (WebGL; Debian's Chromium, whose
  headless WebGL is SwiftShader, a software rasteriser): `visualizer/e2e/learning.bench.ts`.

The machine's 2 cores are shared with other work: figures move from run to run.
BENCH_QUICK=1 shrinks every size.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .browser import CHROMIUM, run_browser_bench
from .common import QUICK, Goal, goals_table, summary, table, time_calls, write_results

TYPED, CHANNELS, TYPES = (2000, 40, 8) if QUICK else (10_000, 40, 8)
PREDICTED = 20_000 if QUICK else 100_000
EMBEDDED = 4000 if QUICK else 20_000
POINTS = 20_000 if QUICK else 100_000
RUNS = 3 if QUICK else 7


def _cells(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Made-up measurements (channel means and shape figures) of `count` cells of TYPES
    unbalanced types, each bright in a few marker channels."""
    rng = np.random.default_rng(seed)
    shares = np.geomspace(1, 8, TYPES)
    labels = rng.choice(TYPES, size=count, p=shares / shares.sum()) + 1
    means = rng.lognormal(np.log(20), 0.5, size=(count, CHANNELS))
    panel = np.random.default_rng(0)  # the same marker panel for every set of cells
    for label in range(1, TYPES + 1):
        markers = panel.choice(CHANNELS, size=3, replace=False)
        chosen = labels == label
        means[np.ix_(chosen, markers)] *= rng.lognormal(np.log(4), 0.3, size=(chosen.sum(), 3))
    area = rng.normal(80, 15, count).clip(20)
    shapes = np.stack(
        [
            area,
            3.5 * np.sqrt(area),
            rng.random(count),
            rng.uniform(0.8, 1, count),
            np.sqrt(area) * 1.3,
            np.sqrt(area),
        ],
        axis=1,
    )
    return np.concatenate([means, shapes], axis=1), labels


def _table(values: np.ndarray):
    from deepcell_label.learning.features import SHAPE_COLUMNS, FeatureTable

    columns = [f"channel {i} mean" for i in range(CHANNELS)] + list(SHAPE_COLUMNS)
    compress = np.array([True] * CHANNELS + [True, True, False, False, True, True])
    weight = np.array([1.0] * CHANNELS + [len(SHAPE_COLUMNS) ** -0.5] * len(SHAPE_COLUMNS))
    return FeatureTable(np.arange(len(values)), values, columns, compress, weight=weight)


def _models() -> dict:
    from deepcell_label.learning import classifier, predictions
    from deepcell_label.learning.features import normalise
    from deepcell_label.learning.threads import one_blas_thread
    from sklearn.linear_model import LogisticRegression

    values, labels = _cells(TYPED, 1)
    table_ = _table(values)
    normalised, scaling = normalise(table_)
    kept, _ = classifier.check_trainable(labels, {})
    trained: dict = {}

    def train(_):
        trained["model"], trained["report"] = classifier.train(
            values, labels, scaling, kept, "mean", table_.columns, 0.8, 0
        )

    training = summary(time_calls(train, RUNS))
    # The baselines run BLAS on one thread too: on these shared cores two threads are slower
    # and far noisier (see learning/threads.py).
    plain = summary(
        time_calls(
            one_blas_thread(lambda _: LogisticRegression(max_iter=1000).fit(normalised, labels)),
            RUNS,
        )
    )
    model = trained["model"]
    unseen, truth = _cells(PREDICTED, 2)
    plain_model = LogisticRegression(max_iter=1000).fit(normalised, labels)
    unseen_normalised = scaling.apply(unseen)

    def predict(_):
        found = predictions.predict(model.probabilities(unseen), model.classes)
        predictions.most_uncertain_first(found[2], np.arange(len(unseen)))
        trained["accuracy"] = float(np.mean(found[0] == truth))

    predicting = summary(time_calls(predict, RUNS))
    baseline = summary(
        time_calls(one_blas_thread(lambda _: plain_model.predict_proba(unseen_normalised)), RUNS)
    )
    return {
        "training": training,
        "training_baseline": plain,
        "validation_accuracy": trained["report"]["validation_accuracy"],
        "prediction": predicting,
        "prediction_baseline": baseline,
        "prediction_accuracy": trained["accuracy"],
    }


def _embedding() -> dict:
    from deepcell_label.learning import embedding
    from deepcell_label.learning.features import normalise
    from sklearn.decomposition import PCA

    values, _ = _cells(EMBEDDED, 3)
    normalised, _ = normalise(_table(values))
    seconds = []
    for _ in range(2):
        began = time.perf_counter()
        embedding.embed(normalised, seed=0)
        seconds.append(time.perf_counter() - began)
    pca = summary(time_calls(lambda _: PCA(2, random_state=0).fit_transform(normalised), 3))
    return {"first_s": seconds[0], "second_s": seconds[1], "pca": pca}


def _scatter(folder: Path) -> dict | None:
    if not Path(CHROMIUM).exists() or not shutil.which("npx"):
        return None
    output = folder / "scatter.json"
    settings = {"BENCH_LEARNING_OUTPUT": str(output), "BENCH_POINTS": str(POINTS)}
    return run_browser_bench(output, settings, "learning.bench.ts")


def run() -> str:
    models = _models()
    embedded = _embedding()
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as temporary:
        scatter = _scatter(Path(temporary))
    write_results("learning", {"models": models, "embedding": embedded, "scatter": scatter})
    train_s = models["training"]["median_ms"] / 1000
    predict_s = models["prediction"]["median_ms"] / 1000
    rows = [
        (
            f"train {TYPED:,} cells × {CHANNELS} ch, {TYPES} types",
            round(models["training"]["median_ms"]),
            round(models["training_baseline"]["median_ms"]),
            round(models["training"]["median_ms"] / models["training_baseline"]["median_ms"], 1),
        ),
        (
            f"predict {PREDICTED:,} cells",
            round(models["prediction"]["median_ms"]),
            round(models["prediction_baseline"]["median_ms"]),
            round(
                models["prediction"]["median_ms"] / models["prediction_baseline"]["median_ms"], 1
            ),
        ),
        (
            f"embed {EMBEDDED:,} cells (first call / again)",
            f"{embedded['first_s'] * 1000:,.0f} / {embedded['second_s'] * 1000:,.0f}",
            round(embedded["pca"]["median_ms"]),
            round(embedded["second_s"] * 1000 / embedded["pca"]["median_ms"], 1),
        ),
    ]
    goals = [
        Goal(f"training on {TYPED:,} typed cells <= 5 s", f"{train_s:.2f} s", train_s <= 5),
        Goal(f"prediction for {PREDICTED:,} cells <= 2 s", f"{predict_s:.2f} s", predict_s <= 2),
        Goal(
            f"embedding of {EMBEDDED:,} cells <= 30 s",
            f"{embedded['first_s']:.1f} s first in a process, {embedded['second_s']:.1f} s again",
            embedded["first_s"] <= 30,
        ),
    ]
    parts = [
        table(
            f"Learning (medians of {RUNS} runs; baseline: plain LogisticRegression / PCA)",
            ("work", "ms", "baseline ms", "ratio"),
            rows,
        ),
        f"validation accuracy {models['validation_accuracy']:.3f}; "
        f"accuracy on {PREDICTED:,} unseen cells {models['prediction_accuracy']:.3f}\n",
    ]
    if scatter is None:
        parts.append("scatter: SKIPPED (Chromium or npx is missing)\n")
    else:
        median = {
            name: float(np.median(scatter[name]))
            for name in ("frameMs", "frameAppMs", "drawMs", "drawAppMs")
        }
        parts.append(
            table(
                f"Scatter plot, {scatter['points']:,} points (medians of {len(scatter['frameMs'])} frames; "
                "+draw waits until SwiftShader, a software rasteriser, has drawn)",
                ("figure", "app ms", "+draw ms"),
                [
                    (
                        "first picture (answer parsed, arrays, upload, draw)",
                        "",
                        round(scatter["firstMs"], 1),
                    ),
                    (
                        "frame: new colours (by uncertainty) + draw",
                        round(median["frameAppMs"], 2),
                        round(median["frameMs"], 2),
                    ),
                    (
                        "frame: redraw (pan, zoom, selection)",
                        round(median["drawAppMs"], 2),
                        round(median["drawMs"], 2),
                    ),
                    (
                        f"lasso of {scatter['lassoCount']:,} points",
                        round(scatter["lassoMs"], 1),
                        "",
                    ),
                ],
            )
        )
        goals.append(
            Goal(
                f"scatter frame with {scatter['points']:,} points <= 16 ms (app's work)",
                f"{median['frameAppMs']:.2f} ms ({median['frameMs']:.1f} ms with software drawing)",
                median["frameAppMs"] <= 16,
            )
        )
    parts.append(goals_table("Learning goals", goals))
    return "\n".join(parts)
