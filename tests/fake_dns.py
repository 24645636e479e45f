"""A public-looking host name that leads to a local test server, for the SSRF tests: in the test
process through pytest's monkeypatch, in a worker process (which builds projects from URLs)
through TEST_PUBLIC_NAME="<host>=<address>><loopback port>", read when the worker starts.

Only the name lookup of our URL loader and urllib3's connections are diverted; every address
is still checked by the loader as it would be in production.
"""

from __future__ import annotations

import ipaddress
import os


def is_loopback(host: str) -> bool:
    address = ipaddress.ip_address(host.strip("[]"))
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def divert(setattr_, host: str, address: str, port: int, outside=None) -> None:
    """Make `host` resolve to `address`, and connections to `address` reach 127.0.0.1:`port`;
    `outside(host, port)` is called for any other connection that leaves loopback."""
    import urllib3.util.connection
    from deepcell_label.services import urls

    resolve = urls._resolve
    connect = urllib3.util.connection.create_connection

    def fake_resolve(name, port_, deadline, shown):
        return [address] if name == host else resolve(name, port_, deadline, shown)

    def loopback_only(target, *args, **kwargs):
        name, target_port = target
        if name == address:
            return connect(("127.0.0.1", port), *args, **kwargs)
        if not is_loopback(name):
            if outside is not None:
                outside(name, target_port)
            raise OSError(f"the test refused a connection to {name}:{target_port}")
        return connect(target, *args, **kwargs)

    setattr_(urls, "_resolve", fake_resolve)
    setattr_(urllib3.util.connection, "create_connection", loopback_only)


def divert_from_environment() -> None:
    spec = os.environ.get("TEST_PUBLIC_NAME", "")
    if spec:
        host, rest = spec.split("=", 1)
        address, port = rest.split(">", 1)
        divert(setattr, host, address, int(port))
