"""The pure parts of cell types that learn: measurements, features and their normalisation,
the embedding, the classifier, predictions and uncertainty, applying predictions, and the
files embeddings.json and markers.json."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from deepcell_label.errors import EditError, InputFormatError, LearningError
from deepcell_label.formats.learning_files import (
    check_cells_exist,
    embeddings_json,
    parse_embeddings,
    parse_markers,
)
from deepcell_label.labels.expression import cell_expression
from deepcell_label.learning import classifier, embedding
from deepcell_label.learning.features import (
    Scaling,
    cell_shapes,
    combine_shapes,
    feature_table,
    join,
    normalise,
)
from deepcell_label.learning.predictions import (
    apply_predictions,
    confident,
    most_uncertain_first,
    predict,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from multiplex import CHANNELS, TYPES, multiplexed

# --- measurements ------------------------------------------------------------------------------


def test_shapes_of_a_square_a_bar_and_a_disc():
    labels = np.zeros((40, 60), np.int32)
    labels[5:15, 10:20] = 3  # a 10 x 10 square
    labels[36:39, 5:35] = 5  # a 3 x 30 bar
    yy, xx = np.mgrid[:40, :60]
    labels[(yy - 25) ** 2 + (xx - 40) ** 2 <= 64] = 7
    shapes = cell_shapes(labels)
    assert shapes["cells"].tolist() == [3, 5, 7]
    assert shapes["area"][0] == 100
    assert (shapes["y"][0], shapes["x"][0]) == (9.5, 14.5)
    assert (shapes["y"][2], shapes["x"][2]) == (25.0, 40.0)
    assert shapes["eccentricity"][2] < 0.2 < 0.9 < shapes["eccentricity"][1]
    assert shapes["circularity"][2] > 0.8 > 0.4 > shapes["circularity"][1]  # round, long
    assert shapes["major_axis"][0] == pytest.approx(shapes["minor_axis"][0])
    assert shapes["major_axis"][1] > 5 * shapes["minor_axis"][1]


def test_overlapping_cells_are_measured_on_all_their_pixels():
    labels = np.zeros((20, 30), np.int32)
    labels[2:10, 2:12] = 1
    labels[2:10, 12:16] = 9  # value 9 encodes cells 1 and 2 (they overlap here)
    labels[2:10, 16:24] = 2
    shapes = cell_shapes(labels, {9: [1, 2]})
    assert shapes["cells"].tolist() == [1, 2]
    assert shapes["area"].tolist() == [8 * 14, 8 * 12]
    assert shapes["x"][0] == pytest.approx(np.mean(np.arange(2, 16)))
    assert shapes["x"][1] == pytest.approx(np.mean(np.arange(12, 24)))


@settings(max_examples=40, deadline=None)
@given(arrays(np.int32, (12, 14), elements=st.integers(0, 5)))
def test_shapes_match_direct_computation(labels):
    shapes = cell_shapes(labels)
    present = sorted(int(v) for v in np.unique(labels) if v)
    assert shapes["cells"].tolist() == present
    for i, cell in enumerate(present):
        ys, xs = np.nonzero(labels == cell)
        assert shapes["area"][i] == ys.size
        assert shapes["y"][i] == pytest.approx(ys.mean())
        assert shapes["x"][i] == pytest.approx(xs.mean())


def test_frames_combine_weighted_by_area():
    first = {"cells": np.array([1, 2]), "y": np.array([0.0, 5.0]), "x": np.array([0.0, 5.0])}
    second = {"cells": np.array([1]), "y": np.array([3.0]), "x": np.array([6.0])}
    for result, areas in ((first, [10.0, 4.0]), (second, [30.0])):
        result["area"] = np.array(areas)
        for name in ("perimeter", "eccentricity", "circularity", "major_axis", "minor_axis"):
            result[name] = np.ones(len(areas))
    combined = combine_shapes([first, second])
    assert combined["cells"].tolist() == [1, 2]
    assert combined["y"].tolist() == [pytest.approx(90 / 40), 5.0]
    assert combined["x"].tolist() == [pytest.approx(180 / 40), 5.0]
    assert combined["area"].tolist() == [20.0, 4.0]  # the mean area per frame


def measured_cells():
    raw, labels, truth = multiplexed(rows=6, columns=6)
    table = cell_expression(labels[0, :, :, 0], raw[0])
    return join(table, cell_shapes(labels[0, :, :, 0]), CHANNELS), truth


def test_sources_give_their_columns():
    measured, truth = measured_cells()
    position = feature_table("position", measured)
    assert position.columns == ["x", "y"] and position.shared_scale
    mean = feature_table("mean", measured)
    assert mean.columns[: len(CHANNELS)] == [f"{c} mean" for c in CHANNELS]
    assert mean.values.shape == (len(truth), len(CHANNELS) + 6)
    np.testing.assert_allclose(mean.values[:, : len(CHANNELS)], measured.mean)
    total = feature_table("total", measured)
    np.testing.assert_allclose(total.values[:, : len(CHANNELS)], measured.total)
    with pytest.raises(LearningError, match="Unknown source"):
        feature_table("colour", measured)
    with pytest.raises(LearningError, match="no imported embeddings"):
        feature_table("imported", measured)


# --- normalisation -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (15, 4), elements=st.floats(-1e6, 1e6, allow_nan=False)),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_normalised_columns_are_centred_and_scaled(values, compress):
    from deepcell_label.learning.features import FeatureTable

    table = FeatureTable(np.arange(15), values, list("abcd"), np.array(compress))
    normalised, scaling = normalise(table)
    assert np.isfinite(normalised).all()
    for column in range(4):
        spread = normalised[:, column].std()  # weight 1 each here
        assert abs(normalised[:, column].mean()) < 1e-6
        assert spread == pytest.approx(1.0, abs=1e-6) or spread == pytest.approx(0.0, abs=1e-9)
    # New cells are normalised like the ones the scaling was fitted on.
    again = Scaling.from_arrays(scaling.as_arrays()).apply(values[:3])
    np.testing.assert_allclose(again, normalised[:3])


def test_intensities_are_compressed_and_positions_share_one_scale():
    from deepcell_label.learning.features import FeatureTable

    bright = np.array([[1.0], [10.0], [100.0], [1000.0], [10000.0]])
    linear, _ = normalise(FeatureTable(np.arange(5), bright, ["a"], np.array([False])))
    compressed, _ = normalise(FeatureTable(np.arange(5), bright, ["a"], np.array([True])))
    # arcsinh spreads a log-like range evenly; the linear scale squashes the dim cells.
    assert np.ptp(np.diff(compressed[:, 0])) < np.ptp(np.diff(linear[:, 0]))
    positions = np.array([[0.0, 0.0], [100.0, 1.0], [200.0, 2.0]])
    shared, _ = normalise(
        FeatureTable(np.arange(3), positions, ["x", "y"], np.zeros(2, bool), True)
    )
    # One scale for x and y: the picture keeps its proportions.
    assert np.ptp(shared[:, 0]) / np.ptp(shared[:, 1]) == pytest.approx(100.0)
    with pytest.raises(LearningError, match="Train it again"):
        Scaling.fit(FeatureTable(np.arange(3), positions, ["x", "y"], np.zeros(2, bool))).apply(
            np.ones((2, 3))
        )


# --- embedding ---------------------------------------------------------------------------------


def test_embedding_is_seeded_and_separates_types():
    measured, truth = measured_cells()
    values, _ = normalise(feature_table("mean", measured))
    first = embedding.embed(values, seed=1)
    assert first.shape == (len(truth), 2)
    np.testing.assert_array_equal(first, embedding.embed(values, seed=1))
    names = np.array([truth[int(c)] for c in measured.cells])
    centres = {name: first[names == name].mean(axis=0) for name in TYPES}
    spread = max(np.linalg.norm(first[names == n] - centres[n], axis=1).mean() for n in TYPES)
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in TYPES for b in TYPES if a < b]
    assert min(gaps) > spread  # each type its own island


def test_above_the_fitting_limit_a_sample_is_fitted_and_every_cell_placed():
    # Three kinds of cells, clearly apart: enough of them that a third is a fair sample (on a few
    # dozen cells UMAP's picture of a sample is itself unsteady).
    values, kinds = separable(count=900, seed=1)
    values = (values - values.mean(axis=0)) / values.std(axis=0)
    limit = len(values) // 3
    told = []
    layout = embedding.embed(values, 2, lambda _, message: told.append(message), max_fit=limit)
    assert any(f"Laying out {limit:,} of {len(values):,} cells drawn" in m for m in told)
    assert any("Placing the other" in m for m in told)
    assert layout.shape == (len(values), 2) and np.isfinite(layout).all()
    np.testing.assert_array_equal(layout, embedding.embed(values, 2, max_fit=limit))
    # The placed cells land among the cells of their kind.
    centres = {kind: np.median(layout[kinds == kind], axis=0) for kind in np.unique(kinds)}
    nearest = [min(centres, key=lambda k: np.linalg.norm(point - centres[k])) for point in layout]
    assert np.mean(np.array(nearest) == kinds) > 0.9
    # At the limit or below, UMAP is fitted on every cell.
    told.clear()
    embedding.embed(values, 2, lambda _, message: told.append(message), max_fit=len(values))
    assert not any("drawn" in m for m in told)


def test_too_few_cells_to_embed():
    with pytest.raises(LearningError, match="at least 5 cells"):
        embedding.embed(np.zeros((3, 2)))


# --- classifier and predictions --------------------------------------------------------------


def separable(count=300, seed=0, rare=0.1):
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(count) < rare, 7, np.where(rng.random(count) < 0.5, 3, 5))
    values = rng.normal(10, 2, size=(count, 4))
    for column, label in enumerate((3, 5, 7)):
        values[labels == label, column] += 30
    return values.clip(0), labels


def test_classifier_learns_validates_and_keeps_without_pickle():
    from deepcell_label.learning.features import FeatureTable

    values, labels = separable()
    table = FeatureTable(np.arange(len(labels)), values, list("abcd"), np.ones(4, bool))
    _, scaling = normalise(table)
    kept, left_out = classifier.check_trainable(labels, {3: "a", 5: "b", 7: "c"})
    assert kept == [3, 5, 7] and left_out == []
    trained, report = classifier.train(values, labels, scaling, kept, "mean", list("abcd"), 0.8, 4)
    assert report["classes"] == [3, 5, 7]
    assert report["validation_cells"] == 60 and report["train_cells"] == 240
    assert report["validation_accuracy"] >= 0.95
    assert np.trace(report["confusion"]) == round(report["validation_accuracy"] * 60)
    assert report["curve"]["cells"] == sorted(report["curve"]["cells"])
    loaded = classifier.TrainedClassifier.load(trained.save())
    np.testing.assert_allclose(
        loaded.probabilities(values[:20]), trained.probabilities(values[:20])
    )
    assert loaded.classes == [3, 5, 7] and loaded.source == "mean"
    # The same seed, the same split and model.
    again, report_again = classifier.train(
        values, labels, scaling, kept, "mean", list("abcd"), 0.8, 4
    )
    assert report_again == report


def test_probabilities_are_calibrated_for_a_rare_type():
    """Class weights push probabilities towards the rare type; calibration brings them back:
    among cells given about p, about p are of that type."""
    from deepcell_label.learning.features import FeatureTable

    rng = np.random.default_rng(2)
    count = 4000
    labels = np.where(rng.random(count) < 0.1, 2, 1)
    values = rng.normal(0, 1, size=(count, 2))
    values[labels == 2, 0] += 1.5  # overlapping types: probabilities in between
    table = FeatureTable(np.arange(count), values, ["a", "b"], np.zeros(2, bool))
    _, scaling = normalise(table)
    trained, _ = classifier.train(
        values[:3000], labels[:3000], scaling, [1, 2], "mean", ["a", "b"], 0.8, 0
    )
    rare = trained.probabilities(values[3000:])[:, 1]
    truth = labels[3000:] == 2
    assert abs(rare.mean() - truth.mean()) < 0.03  # about as many as there are
    for low, high in ((0.0, 0.2), (0.2, 0.5), (0.5, 1.0)):
        chosen = (rare >= low) & (rare < high)
        if chosen.sum() > 30:
            assert abs(truth[chosen].mean() - rare[chosen].mean()) < 0.1


def test_classifier_refusals():
    names = {1: "T cell", 2: "B cell"}
    with pytest.raises(LearningError, match="type at least 10 cells"):
        classifier.check_trainable(np.array([1, 1, 2]), names)
    with pytest.raises(LearningError, match="at least two cell types"):
        classifier.check_trainable(np.array([1] * 20), names)
    with pytest.raises(LearningError, match=r"B cell: 3"):
        classifier.check_trainable(np.array([1] * 20 + [2] * 3), names)
    kept, left_out = classifier.check_trainable(np.array([1] * 20 + [2] * 6 + [3] * 2), names)
    assert kept == [1, 2] and left_out == ["3 (2 cells)"]


def test_a_stored_model_with_other_types_is_not_loaded():
    import skops.io as sio

    data = sio.dumps(
        {
            "model": Fraction(1, 3),  # a type skops does not trust
            "scaling": {},
            "classes": [],
            "source": "",
            "columns": [],
        }
    )
    with pytest.raises(LearningError, match="does not load"):
        classifier.TrainedClassifier.load(data)


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(0, 20), st.integers(1, 5)), elements=st.floats(0, 1))
)
def test_uncertainty_is_one_minus_the_highest_probability(raw):
    probabilities = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-9)
    classes = list(range(10, 10 + probabilities.shape[1]))
    types, top, uncertainty = predict(probabilities, classes)
    assert len(types) == len(probabilities)
    if len(probabilities):
        np.testing.assert_allclose(top, probabilities.max(axis=1))
        np.testing.assert_allclose(uncertainty, 1 - probabilities.max(axis=1))
        assert set(types.tolist()) <= set(classes)
        order = most_uncertain_first(uncertainty, np.arange(len(types)))
        assert (np.diff(uncertainty[order]) <= 1e-12).all()
        assert confident(uncertainty, 0.5).tolist() == (uncertainty < 0.5).tolist()


def test_apply_predictions_never_replaces_a_persons_type():
    types = [
        {"id": 1, "name": "T", "color": "#000000", "cells": [1, 2], "feature": 0},
        {"id": 2, "name": "B", "color": "#000000", "cells": [3], "feature": 0},
        {"id": 3, "name": "N", "color": "#000000", "cells": [1], "feature": 1},
    ]
    new, added = apply_predictions(
        types,
        [
            {"cell": 1, "type": 2},
            {"cell": 4, "type": 2},
            {"cell": 5, "type": 1},
            {"cell": 6, "type": 3},
        ],
    )
    assert added == 3
    assert [t["cells"] for t in new] == [[1, 2, 5], [3, 4], [1, 6]]
    assert types[1]["cells"] == [3]  # the input is not changed
    for bad, words in (
        ([], "a list of 1"),
        ([{"cell": 4}], "'type'"),
        ([{"cell": 4, "type": 9}], "no cell type 9"),
        ([{"cell": 4, "type": 1}, {"cell": 4, "type": 2}], "predicted twice"),
        ([{"cell": True, "type": 1}], "'cell'"),
        ([{"cell": 4, "type": 1, "why": 1}], "each prediction"),
    ):
        with pytest.raises(EditError, match=words):
            apply_predictions(types, bad)


# --- files -------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 10**6),
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=20,
    )
)
def test_embeddings_json_round_trip(vectors):
    import json

    cells, values = parse_embeddings(
        json.loads(json.dumps({str(k): v for k, v in vectors.items()}))
    )
    assert cells.tolist() == sorted(vectors)
    again = parse_embeddings(json.loads(embeddings_json(cells, values)))
    np.testing.assert_array_equal(again[0], cells)
    np.testing.assert_array_equal(again[1], values)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({}, "JSON object of cells"),
        ([[1, 2]], "JSON object of cells"),
        ({"1": []}, "non-empty list"),
        ({"1": [1, 2], "2": [3]}, "same length"),
        ({"1": [True]}, "finite number"),
        ({"0": [1]}, "not a cell id"),
        ({"-3": [1]}, "not a cell id"),
        ({"1": [1], "01": [2]}, "given twice"),
    ],
)
def test_embeddings_json_refused(content, words):
    with pytest.raises(InputFormatError, match=words):
        parse_embeddings(content)


def test_vectors_of_missing_cells_are_named():
    check_cells_exist(np.array([1, 2]), [1, 2, 3])
    with pytest.raises(InputFormatError, match=r"2 cells the labels do not have \(4, 9\)"):
        check_cells_exist(np.array([1, 4, 9]), [1, 2, 3])


def test_markers_json():
    assert parse_markers({" T cell ": ["CD3", "CD4", "CD3"]}) == {"T cell": ["CD3", "CD4"]}
    for bad in ([], {"T": "CD3"}, {"": ["CD3"]}, {"T": [1]}):
        with pytest.raises(InputFormatError):
            parse_markers(bad)
