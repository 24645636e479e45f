"""The storage interface behaves the same on a local folder and on S3 (moto's server)."""

from __future__ import annotations

import io

import pytest
from conftest import make_bucket
from deepcell_label.store.storage import LocalStorage, S3Storage, make_s3_client


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("moto_endpoint")
    return S3Storage(make_bucket(endpoint), "prefix/", make_s3_client(endpoint))


def test_put_get_list_delete(storage):
    storage.put("projects/a/raw/0/0/0_0", b"tile")
    storage.put_file("projects/a/original/images", io.BytesIO(b"x" * 100_000))
    storage.put("projects/b/raw/0/0/0_0", b"other")
    assert storage.get("projects/a/raw/0/0/0_0") == b"tile"
    assert storage.get("projects/a/original/images") == b"x" * 100_000
    assert storage.exists("projects/a/raw/0/0/0_0")
    assert not storage.exists("projects/a/raw/0/0/9_9")
    assert storage.keys("projects/a/") == ["projects/a/original/images", "projects/a/raw/0/0/0_0"]
    storage.delete_prefix("projects/a/")
    assert storage.keys("projects/a/") == []
    assert storage.keys("projects/") == ["projects/b/raw/0/0/0_0"]
    with pytest.raises(KeyError):
        storage.get("projects/a/raw/0/0/0_0")


def test_overwrite_replaces_the_object(storage):
    storage.put("k/one", b"first")
    storage.put("k/one", b"second")
    assert storage.get("k/one") == b"second"


@pytest.mark.parametrize("key", ["../escape", "/absolute", "a/../../b", "spaces are not keys", ""])
def test_keys_cannot_leave_the_root(storage, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x")


def test_s3_storage_keeps_objects_under_its_prefix(moto_endpoint):
    bucket = make_bucket(moto_endpoint)
    client = make_s3_client(moto_endpoint)
    S3Storage(bucket, "tenant-1", client).put("projects/p/x", b"1")
    listed = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["tenant-1/projects/p/x"]
