from pathlib import Path

from atelier_localinfra import LocalS3
from atelier_localinfra.s3_snapshot import _client, restore_snapshot, save_snapshot


def test_objects_survive_a_restart_through_the_snapshot(tmp_path: Path) -> None:
    first = LocalS3(tmp_path / "a").start()
    try:
        client = _client(first.endpoint)
        client.create_bucket(Bucket="media-kept")
        client.put_object(
            Bucket="media-kept", Key="x/1.png", Body=b"\x89PNG", ContentType="image/png"
        )
        assert save_snapshot(first.endpoint, tmp_path / "snap") == 1
    finally:
        first.stop()

    second = LocalS3(tmp_path / "b").start()
    try:
        assert restore_snapshot(second.endpoint, tmp_path / "snap") == 1
        obj = _client(second.endpoint).get_object(Bucket="media-kept", Key="x/1.png")
        assert obj["Body"].read() == b"\x89PNG"
        assert obj["ContentType"] == "image/png"
    finally:
        second.stop()
