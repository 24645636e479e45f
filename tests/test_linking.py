"""Linking (labels/linking.py, services/linking.py): the matching of two frames, the link job of
a whole movie or stack with its division proposals, and its refusals."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import tifffile
from deepcell_label.labels import linking
from helpers import create
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from testdata import testdata_path as shared_file

from bench import tracking
from bench.movies import crowded_movie, division_movie, moving_cells, score, shuffled
from bench.tracking import link_in_memory


def _measured(first: np.ndarray, second: np.ndarray):
    """Cells of two frames and their overlaps, as the link job measures them."""
    cells, values = [], []
    for frame in (first, second):
        found = np.unique(frame)
        found = found[found > 0]
        measure = linking.FrameMeasure(found)
        measure.add(frame)
        cells.append(linking.frame_cells(measure, {}))
        values.append(found)
    overlap = linking.OverlapMeasure(*values)
    overlap.add(first, second)
    return cells, linking.cell_overlaps(overlap, {}, {})


@st.composite
def _cell_frames(draw):
    """A frame of non-touching rectangles and the same cells with their ids permuted."""
    count = draw(st.integers(1, 12))
    frame = np.zeros((64, 64), np.int32)
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    for k, cell in enumerate(ids):
        y, x = divmod(k, 4)
        height, width = draw(st.integers(2, 14)), draw(st.integers(2, 14))
        frame[y * 16 + 1 : y * 16 + 1 + height, x * 16 + 1 : x * 16 + 1 + width] = cell
    permutation = draw(st.permutations(ids))
    lookup = dict(zip(ids, permutation, strict=True))
    permuted = np.vectorize(lambda v: lookup.get(v, 0), otypes=[np.int32])(frame)
    return frame, permuted, lookup


@settings(max_examples=80, deadline=None)
@given(_cell_frames())
def test_matching_undoes_a_permutation_of_ids_exactly(frames):
    first, permuted, lookup = frames
    (before, after), overlaps = _measured(first, permuted)
    rows, columns = linking.match(overlaps, before.area, after.area)
    matched = dict(zip(after.ids[columns].tolist(), before.ids[rows].tolist(), strict=True))
    assert matched == {new: old for old, new in lookup.items()}


@settings(max_examples=80, deadline=None)
@given(_cell_frames(), st.data())
def test_a_cell_that_vanishes_is_not_matched_to_a_stranger(frames, data):
    first, _, _ = frames
    ids = np.unique(first)[1:]
    gone = data.draw(st.sampled_from(ids.tolist()))
    second = first.copy()
    second[second == gone] = 0
    second[60:63, 60:63] = gone  # a stranger elsewhere, even with the vanished cell's id
    (before, after), overlaps = _measured(first, second)
    rows, columns = linking.match(overlaps, before.area, after.area)
    pairs = dict(zip(before.ids[rows].tolist(), after.ids[columns].tolist(), strict=True))
    assert gone not in pairs
    assert pairs == {cell: cell for cell in ids.tolist() if cell != gone}


def test_matching_maximises_the_summed_iou():
    # Cell 1 overlaps 10 and 11; 2 overlaps only 10. The best total pairs 1-11 and 2-10.
    overlaps = sparse.csr_matrix(np.array([[60.0, 50.0], [55.0, 0.0]]))
    rows, columns = linking.match(overlaps, np.array([100.0, 100.0]), np.array([100.0, 100.0]))
    assert sorted(zip(rows.tolist(), columns.tolist(), strict=True)) == [(0, 1), (1, 0)]


def test_a_link_is_as_sure_as_its_margin_over_its_best_rival():
    rows, columns, scores = np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([0.8, 0.2, 0.9])
    chosen = linking.assign(rows, columns, scores, (2, 2))
    assert [c.tolist() for c in chosen] == [[0, 1], [0, 1]]
    sure = linking.margins(rows, columns, scores, *chosen)
    np.testing.assert_allclose(sure, [1 - 0.2 / 0.8, 1 - 0.2 / 0.9])
    # A pair with no rival is sure; a pair tied with its rival is not.
    alone = linking.margins(np.array([0]), np.array([0]), np.array([0.4]), [0], [0])
    tied = linking.margins(np.array([0, 1]), np.array([0, 0]), np.array([0.5, 0.5]), [0], [0])
    assert alone.tolist() == [1.0] and tied.tolist() == [0.0]


def test_the_tracking_measures_follow_the_cell_tracking_challenge():
    """TRA and LNK from the AOGM's edge terms, and the division figures."""
    truth = [{1: 1, 2: 2}, {3: 1, 4: 3, 5: 4}, {6: 1, 7: 3, 8: 4}]
    divisions = [{"parent": 2, "daughters": [3, 4], "t": 1}]
    perfect = tracking.measure(truth, truth, divisions, divisions)
    assert (perfect.tra, perfect.lnk, perfect.division_f1) == (1.0, 1.0, 1.0)
    # The mother goes on into one daughter (a link that should be a mother's), the other
    # daughter is a new track: one edge changed, one mother-daughter edge missing.
    wrong = [{1: 1, 2: 2}, {3: 1, 4: 2, 5: 9}, {6: 1, 7: 2, 8: 9}]
    found = tracking.measure(truth, wrong, divisions, [])
    assert (found.edges_changed, found.edges_added, found.edges_deleted) == (1, 1, 0)
    edges, nodes = 6, 8  # 4 links of tracks, 2 of the mother to her daughters
    assert found.tra == pytest.approx(1 - 2.5 / (10 * nodes + 1.5 * edges))
    assert found.lnk == pytest.approx(1 - 2.5 / (1.5 * edges))
    assert (found.division_recall, found.division_precision) == (0.0, 0.0)
    # A proposal naming the wrong daughter counts as a division with a wrong child.
    swapped = tracking.measure(
        truth, truth, divisions, [{"parent": 2, "daughters": [3, 1], "t": 1}]
    )
    assert swapped.division_recall == 0.0 and swapped.branching_correctness == 0.0


# --------------------------------------------------------------------------- the link job


def _project(client, labels: np.ndarray) -> dict:
    raw, mask = io.BytesIO(), io.BytesIO()
    tifffile.imwrite(raw, np.zeros(labels.shape, np.uint8), photometric="minisblack")
    tifffile.imwrite(mask, labels.astype(np.int32), photometric="minisblack")
    return create(client, data=raw.getvalue(), name="movie.tif", labels=mask.getvalue(), axes="TYX")


def _link(client, project_id: str, **body) -> dict:
    response = client.post(f"/api/projects/{project_id}/link", json=body)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["kind"] == "link" and job["project"] == project_id
    deadline = time.monotonic() + 120
    while job["state"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = client.get(f"/api/jobs/{job['id']}").get_json()
    assert job["state"] == "done", job
    return job["result"]


def _values_to_cells(client, project_id: str, frames: int) -> list[dict[int, int]]:
    found: list[dict[int, int]] = [{} for _ in range(frames)]
    for entry in client.get(f"/api/projects/{project_id}").get_json()["cells"]:
        found[entry["t"]][entry["value"]] = entry["cell"]
    return found


def test_linking_a_small_movie_is_one_undoable_edit(client):
    movie = moving_cells(
        frames=8, size=200, cells=20, divisions=2, appearing=1, leaving=1, missing=1, seed=5
    )
    meta = _project(client, movie.labels)
    pid = meta["id"]
    before = _values_to_cells(client, pid, 8)
    result = _link(client, pid)
    assert result["version"] == 1 and result["feature"] == 0
    after = _values_to_cells(client, pid, 8)
    found = score(movie.truth, after, movie.divisions, result["proposed_divisions"])
    assert found.link_accuracy == 1.0 and found.false_links == 0
    assert found.found_divisions == 2 and found.false_divisions == 0
    history = client.get(f"/api/projects/{pid}/edits?since=0").get_json()
    (edit,) = history["edits"]
    assert edit["action"] == "link" and edit["patches"] == []
    relabelled = sum(len(r["values"]) for r in edit["relabels"])
    assert len(edit["cells"]) + relabelled == result["values_changed"] > 0
    # Accepting a proposal is one add_daughter edit naming both daughters.
    proposal = result["proposed_divisions"][0]
    answer = client.post(
        f"/api/projects/{pid}/edits",
        json={
            "action": "add_daughter",
            "args": {"parent": proposal["parent"], "daughters": proposal["daughters"]},
        },
    ).get_json()
    assert answer["edits"][0]["divisions"] == [
        {"parent": proposal["parent"], "daughters": proposal["daughters"], "t": proposal["t"]}
    ]
    assert answer["findings"] == []
    # Undo the acceptance, then the linking: every value means what it meant.
    client.post(f"/api/projects/{pid}/undo", json={})
    undone = client.post(f"/api/projects/{pid}/undo", json={}).get_json()
    assert undone["edits"][0]["target"] == 1
    assert _values_to_cells(client, pid, 8) == before
    # Linking again finds the same tracks (cells new to the movie get ids never used before:
    # the undone link's fresh ids are not handed out again), and a linked movie does not change.
    again = _link(client, pid)
    assert again["version"] == 5
    relinked = _values_to_cells(client, pid, 8)
    found = score(movie.truth, relinked, movie.divisions, again["proposed_divisions"])
    assert found.link_accuracy == 1.0 and found.false_links == 0
    kept = {cell for frame in before for cell in frame.values()}
    for frame_before, frame_again in zip(after, relinked, strict=True):
        assert {v: c for v, c in frame_before.items() if c in kept} == {
            v: c for v, c in frame_again.items() if c in kept
        }
    unchanged = _link(client, pid)
    assert unchanged["version"] == 5 and unchanged["cells_relabelled"] == 0


def test_daughters_that_move_apart_are_proposed_as_divisions(client):
    """45 discs of radius 6 on 320², 24 frames, ids shuffled in every frame; 6 mothers each
    replaced by two daughters of her size about one radius from her centre, drifting apart.
    The mother's track ends at the division and each daughter begins its own."""
    movie = division_movie("apart", seed=3)
    pid = _project(client, movie.labels)["id"]
    result = _link(client, pid)
    found = score(
        movie.truth,
        _values_to_cells(client, pid, 24),
        movie.divisions,
        result["proposed_divisions"],
    )
    print(f"\napart: {found} link accuracy {found.link_accuracy:.4f}")
    assert found.division_recall >= 0.8
    assert found.link_accuracy >= 0.99
    assert found.false_links <= 0.01 * found.true_links
    assert found.false_divisions <= 1
    assert all(0 < d["confidence"] <= 1 for d in result["proposed_divisions"])


@pytest.mark.parametrize("daughters", ["apart", "shrink", "touch"])
def test_divisions_are_found_however_the_daughters_look(daughters):
    """In memory, over several movies: daughters that move apart, shrink, or touch."""
    totals = np.zeros(6, int)
    for seed in range(4):
        movie = division_movie(daughters, seed, appearing=3, leaving=3, missing=3, step=3.0)
        linked, cells_after = link_in_memory(movie)
        found = score(movie.truth, cells_after, movie.divisions, linked.divisions)
        totals += (
            found.right_links,
            found.true_links,
            found.false_links,
            found.found_divisions,
            found.divisions,
            found.false_divisions,
        )
    right, true, false, proposed, divisions, wrong = totals.tolist()
    assert right >= 0.99 * true and false <= 0.01 * true
    assert proposed >= 0.8 * divisions and wrong <= 0.05 * divisions


@pytest.mark.parametrize("seed", [0, 1])
def test_a_crowded_movie_of_touching_cells_is_linked(seed):
    """320 cells tiling 512² (each touching its neighbours), drifting, 12 dividing."""
    movie = crowded_movie(frames=20, size=512, cells=320, divisions=12, seed=seed)
    assert len(movie.truth[0]) >= 300
    linked, cells_after = link_in_memory(movie)
    found = score(movie.truth, cells_after, movie.divisions, linked.divisions)
    assert found.true_links > 5000
    assert found.right_links >= 0.99 * found.true_links
    assert found.false_links <= 0.01 * found.true_links
    assert found.found_divisions >= 0.8 * found.divisions
    assert found.false_divisions <= 1


def test_the_division_of_the_shared_project_is_proposed(client):
    """oneDivision.zip, its division removed: linking proposes it again, sure of it."""
    meta = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))
    pid = meta["id"]
    (division,) = client.get(f"/api/projects/{pid}").get_json()["divisions"]
    response = client.post(
        f"/api/projects/{pid}/edits",
        json={
            "action": "remove_daughter",
            "args": {k: division[k] for k in ("parent", "daughters")},
        },
    )
    assert response.status_code == 200, response.get_json()
    assert client.get(f"/api/projects/{pid}").get_json()["divisions"] == []
    result = _link(client, pid)
    (proposal,) = result["proposed_divisions"]
    assert proposal["parent"] == division["parent"] and proposal["t"] == division["t"]
    assert proposal["daughters"] == sorted(division["daughters"])
    assert proposal["confidence"] >= 0.5


def test_linking_follows_divisions_of_other_features_and_keeps_divisions(client):
    """Existing divisions are renamed with their cells, on the feature linked."""
    movie = moving_cells(
        frames=6, size=160, cells=10, divisions=1, appearing=0, leaving=0, missing=0, seed=2
    )
    meta = _project(client, movie.labels)
    pid = meta["id"]
    cells = _values_to_cells(client, pid, 6)
    division = movie.divisions[0]
    t = division["t"]
    value_of = [{true: value for value, true in frame.items()} for frame in movie.truth]
    parent = cells[t - 1][value_of[t - 1][division["parent"]]]
    kids = [cells[t][value_of[t][d]] for d in division["daughters"]]
    response = client.post(
        f"/api/projects/{pid}/edits",
        json={"action": "add_daughter", "args": {"parent": parent, "daughters": kids}},
    )
    assert response.status_code == 200, response.get_json()
    result = _link(client, pid)
    assert result["proposed_divisions"] == []  # already recorded, under the new ids
    after = _values_to_cells(client, pid, 6)
    (stored,) = client.get(f"/api/projects/{pid}").get_json()["divisions"]
    assert stored["parent"] == after[t - 1][value_of[t - 1][division["parent"]]]
    assert sorted(stored["daughters"]) == sorted(
        after[t][value_of[t][d]] for d in division["daughters"]
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"feature": 3}, 400, "'feature' must be between 0 and 0"),
        ({"feature": "0"}, 400, "'feature' must be between"),
        ({"threshold": 0}, 400, "smallest IoU of a link"),
        ({"threshold": "a lot"}, 400, "smallest IoU of a link"),
        ({"max_gap": 5}, 400, "'max_gap'"),
        ({"divisions": "yes"}, 400, "'divisions' is true"),
        ({"frames": 3}, 400, "Unknown fields 'frames'"),
    ],
)
def test_link_refuses_bad_requests_with_a_reason(client, body, status, message):
    meta = _project(client, np.ones((2, 8, 8), np.int32))
    response = client.post(f"/api/projects/{meta['id']}/link", json=body)
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_link_refuses_a_single_frame_and_an_unknown_project(client):
    meta = _project(client, np.ones((1, 8, 8), np.int32))
    response = client.post(f"/api/projects/{meta['id']}/link", json={})
    assert response.status_code == 400 and "one frame" in response.get_json()["error"]
    response = client.post("/api/projects/nosuchproject/link", json={})
    assert response.status_code == 404


def test_linking_a_movie_with_an_empty_frame(client):
    labels = np.zeros((4, 20, 20), np.int32)
    labels[:, 5:10, 5:10] = [[[3]], [[8]], [[0]], [[9]]]
    meta = _project(client, labels)
    result = _link(client, meta["id"])
    after = _values_to_cells(client, meta["id"], 4)
    # The cell is missing from frame 2: the gap is closed, one id throughout.
    assert after == [{3: 3}, {8: 3}, {}, {9: 3}] and result["gaps_closed"] == 1
    # The gap closed is the link the linking is least sure of.
    assert result["uncertain_links"] == [
        {"cell": 3, "t": 3, "from_t": 1, "confidence": 0.3, "reason": "gap"}
    ]
    assert result["uncertain_count"] == 1


def test_a_link_with_a_close_rival_is_listed_as_uncertain(client):
    """Two cells of frame 1 become one cell of frame 2 that overlaps both about equally: it
    is linked to one of them, and the result says how unsure that link is and why."""
    labels = np.zeros((2, 30, 40), np.int32)
    labels[0, 10:20, 5:15] = 4
    labels[0, 10:20, 25:35] = 6
    labels[1, 10:20, 9:30] = 9  # 6 columns over cell 4, 5 over cell 6
    meta = _project(client, labels)
    result = _link(client, meta["id"], divisions=False)
    after = _values_to_cells(client, meta["id"], 2)
    assert after[1] == {9: 4}  # the larger overlap wins
    (link,) = result["uncertain_links"]
    assert link["cell"] == 4 and link["t"] == 1 and link["from_t"] == 0
    assert link["reason"] == "rival" and 0 <= link["confidence"] < 0.5
    assert result["uncertain_count"] == 1


@pytest.mark.slow
def test_linking_a_generated_movie_finds_the_links_and_divisions(sqlite_app, request):
    """≥ 40 frames, ≥ 150 moving cells, ≥ 10 divisions, ids shuffled in every frame."""
    from conftest import start_worker

    start_worker(sqlite_app, request)
    client = sqlite_app.test_client()
    movie = moving_cells(frames=40, size=640, cells=170, divisions=12, missing=8, step=2.5, seed=7)
    meta = _project(client, movie.labels)
    result = _link(client, meta["id"])
    found = score(
        movie.truth,
        _values_to_cells(client, meta["id"], 40),
        movie.divisions,
        result["proposed_divisions"],
    )
    print(f"\nmovie: {found} link accuracy {found.link_accuracy:.4f}")
    assert found.true_links > 6000
    assert found.link_accuracy >= 0.99
    assert found.division_recall >= 0.9
    assert found.false_divisions <= 2 and found.false_links <= 0.005 * found.true_links


def test_linking_the_3d_stack_with_shuffled_ids(client):
    """StarDist's 3-D nuclei, each slice's ids shuffled: the slices link back into nuclei."""
    stack = tifffile.imread(shared_file("stardist/mask3d.tif")).astype(np.int32)
    movie = shuffled(stack)
    meta = _project(client, movie.labels)
    result = _link(client, meta["id"], divisions=False, max_gap=0)
    assert result["proposed_divisions"] == []
    found = score(movie.truth, _values_to_cells(client, meta["id"], stack.shape[0]), [], [])
    print(f"\nmask3d: {found} link accuracy {found.link_accuracy:.4f}")
    assert found.link_accuracy >= 0.99


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 40))
def test_measuring_band_by_band_equals_measuring_whole_frames(seed, rows):
    """A frame of any size is read a band of rows at a time: the bands add up exactly."""
    rng = np.random.default_rng(seed)
    first = rng.choice([0, 0, 3, 7, 2_000_000], (48, 30)).astype(np.int32)
    second = rng.choice([0, 5, 7, 9], (48, 30)).astype(np.int32)
    (whole_a, whole_b), whole = _measured(first, second)
    values = [np.unique(f)[np.unique(f) > 0] for f in (first, second)]
    measures = [linking.FrameMeasure(v) for v in values]
    overlap = linking.OverlapMeasure(*values)
    for y0 in range(0, 48, rows):
        band_a, band_b = first[y0 : y0 + rows], second[y0 : y0 + rows]
        measures[0].add(band_a, y0)
        measures[1].add(band_b, y0)
        overlap.add(band_a, band_b)
    for measure, expected in zip(measures, (whole_a, whole_b), strict=True):
        cells = linking.frame_cells(measure, {})
        np.testing.assert_array_equal(cells.ids, expected.ids)
        np.testing.assert_allclose(cells.area, expected.area)
        np.testing.assert_allclose(cells.y, expected.y)
        np.testing.assert_allclose(cells.x, expected.x)
    banded = linking.cell_overlaps(overlap, {}, {})
    np.testing.assert_array_equal(banded.toarray(), whole.toarray())


def test_overlapping_cells_are_measured_as_the_cells_they_are():
    """A value encoding two cells (an overlap) counts for each of them."""
    first = np.array([[1, 1, 3, 2, 2]], np.int32)  # value 3 encodes cells 1 and 2
    second = np.array([[4, 4, 4, 5, 5]], np.int32)
    values = [np.array([1, 2, 3]), np.array([4, 5])]
    measure = linking.FrameMeasure(values[0])
    measure.add(first)
    cells = linking.frame_cells(measure, {1: {1}, 2: {2}, 3: {1, 2}})
    assert cells.ids.tolist() == [1, 2] and cells.area.tolist() == [3, 3]
    overlap = linking.OverlapMeasure(*values)
    overlap.add(first, second)
    shared = linking.cell_overlaps(overlap, {1: {1}, 2: {2}, 3: {1, 2}}, {})
    assert shared.toarray().tolist() == [[3, 0], [1, 2]]
