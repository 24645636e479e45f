"""Large files go up in resumable chunks: a 32 MiB image whose connection is cut in the middle of
its upload still makes the project, equal to the file."""

from __future__ import annotations

import contextlib
import socket
import threading

import numpy as np
import tifffile
from deepcell_label_client import Client

MiB = 1024 * 1024


class CuttingProxy:
    """A loopback TCP proxy to the server that closes the connection carrying byte `cut_after`
    of all the requests sent through it (once), as a dropped network would."""

    def __init__(self, upstream: str, cut_after: int) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.cut_after = cut_after
        self.sent = 0
        self.cuts = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            pair = (downstream, upstream)
            threading.Thread(target=self._pump, args=(downstream, upstream, pair, True)).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, pair, False)).start()

    def _pump(self, source, target, pair, counted: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                if counted:
                    with self.lock:
                        self.sent += len(data)
                        cut = self.cuts == 0 and self.sent >= self.cut_after
                        self.cuts += cut
                    if cut:
                        break
                target.sendall(data)
        except OSError:
            pass
        for sock in pair:  # either side ending (or the cut) ends the connection both ways
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.listener.close()


def test_a_32_mib_image_goes_up_in_chunks_and_survives_a_dropped_connection(
    server, admin_token, tmp_path
):
    image = np.random.default_rng(3).integers(0, 4096, (4096, 4096), dtype=np.uint16)
    path = tmp_path / "big.tif"
    tifffile.imwrite(path, image)
    assert path.stat().st_size >= 32 * MiB
    proxy = CuttingProxy(server.url, cut_after=20 * MiB)  # in the middle of the third chunk
    try:
        with Client(proxy.url, admin_token, progress=False) as client:
            project = client.create_project(path, axes="YX")
            assert proxy.cuts == 1
            metadata = project.metadata()
            assert (metadata["height"], metadata["width"], metadata["dtype"]) == (
                4096,
                4096,
                "uint16",
            )
            np.testing.assert_array_equal(project.image()[0, :, :, 0], image)
    finally:
        proxy.close()
    # Resumed, not restarted: the file went up once plus the part of the chunk that was cut (an
    # upload started again from nothing would send more than 20 + 32 MiB).
    assert path.stat().st_size <= proxy.sent <= path.stat().st_size + 9 * MiB
