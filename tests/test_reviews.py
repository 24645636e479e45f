"""Review mode on the server: judgments are stored and exported as CSV."""

from __future__ import annotations

import csv
import io

from accounts import person
from helpers import create
from testdata import testdata_path as shared_file


def test_review_two_projects_and_download_csv(client):
    first = create(client, shared_file("deepcell-label-zips/rgb.zip"))["id"]
    second = create(client, shared_file("deepcell-label-zips/oneDivision.zip"))["id"]
    response = client.post(
        f"/api/projects/{first}/review",
        json={"judgment": "reject", "comment": "cell 2 is cut"},
        headers=person(client.application, "ana"),
    )
    assert response.status_code == 201 and response.get_json()["judgment"] == "reject"
    # A later judgment replaces the earlier one as the verdict.
    client.post(f"/api/projects/{first}/review", json={"judgment": "accept"})
    listed = client.get(f"/api/reviews?projects={first},{second}").get_json()["reviews"]
    assert [(r["project"], r["judgment"]) for r in listed] == [(first, "accept"), (second, None)]
    download = client.get(f"/api/reviews?projects={first},{second}&format=csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["project"], r["judgment"]) for r in rows] == [(first, "accept"), (second, "")]
    assert rows[0]["name"] == "rgb.zip"


def test_bad_reviews(client):
    project = create(client, shared_file("deepcell-label-zips/rgb.zip"))["id"]
    assert (
        client.post(f"/api/projects/{project}/review", json={"judgment": "maybe"}).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/projects/{project}/review", json={"judgment": "accept", "score": 3}
        ).status_code
        == 400
    )
    assert (
        client.post("/api/projects/unknown/review", json={"judgment": "accept"}).status_code == 404
    )
    assert client.get("/api/reviews").status_code == 400
    # An unknown id does not hide the verdicts of the others: it is marked missing.
    listed = client.get(f"/api/reviews?projects=nope,{project}").get_json()["reviews"]
    assert [(r["project"], r["missing"]) for r in listed] == [("nope", True), (project, False)]
