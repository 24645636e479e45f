"""Loading a user-given URL: address checks, real HTTP(S) on loopback, and S3 through moto."""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from deepcell_label.errors import TooLargeError, URLRefusedError
from deepcell_label.services import urls
from helpers import serve_in_thread
from hypothesis import given
from hypothesis import strategies as st

PAYLOAD = os.urandom(300_000)
BIG = 64_000  # bytes served by the oversize endpoints
SLOW_SECONDS = 5.0


# --- check_address ---------------------------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.5.5.5", "loopback"),
    ("::1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("169.254.1.1", "link-local"),
    ("100.64.0.1", "shared"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("fc00::1", "private"),
    ("fd12::1", "private"),
    ("fd00:ec2::254", "metadata"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"),
    ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "metadata"),
    ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
    ("2002:a9fe:a9fe::1", "metadata"),  # 6to4 around 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 around 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.1", "not a public"),  # documentation range
]

ACCEPTED = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::1",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("ip", "kind"), REFUSED)
def test_check_address_refuses_non_public(ip, kind):
    with pytest.raises(URLRefusedError) as info:
        urls.check_address(ip)
    message = info.value.message
    assert kind in message
    assert ip in message
    assert "upload the file" in message
    assert info.value.status == 400


@pytest.mark.parametrize("ip", ACCEPTED)
def test_check_address_accepts_public(ip):
    assert urls.check_address(ip) is None


@pytest.mark.parametrize("text", ["", "example.org", "1.2.3", "::g"])
def test_check_address_refuses_non_addresses(text):
    with pytest.raises(URLRefusedError, match="not an IP address"):
        urls.check_address(text)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_check_address_ipv4_mapped_agrees_with_ipv4(n):
    v4 = str(ipaddress.IPv4Address(n))
    mapped = f"::ffff:{v4}"
    try:
        urls.check_address(v4)
        v4_ok = True
    except URLRefusedError:
        v4_ok = False
    if not v4_ok:
        with pytest.raises(URLRefusedError):
            urls.check_address(mapped)


@given(st.integers(min_value=0, max_value=2**24 - 1))
def test_check_address_refuses_all_of_10_slash_8(n):
    with pytest.raises(URLRefusedError, match="private"):
        urls.check_address(str(ipaddress.IPv4Address((10 << 24) + n)))


@given(st.text(max_size=80))
def test_sanitized_names_are_plain(segment):
    name = urls._sanitize_name(segment)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".")
    assert len(name) <= 200


# --- URL shape (no connection attempted) ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.org/a.tif", "ftp scheme"),
        ("file:///etc/passwd", "file scheme"),
        ("gopher://example.org/", "gopher scheme"),
        ("example.org/a.tif", "missing scheme"),
        ("http://user:secret@example.org/a.tif", "user name or password"),
        ("http://user@example.org/a.tif", "user name or password"),
        ("https:///a.tif", "no host name"),
        ("http://[::1/a.tif", "not a valid URL"),
        ("http://example.org:99999/a.tif", "not a valid URL"),
        ("http://example.org:0/a.tif", "port 0"),
        ("http://example.org/a\n.tif", "control characters"),
        ("", "No URL"),
        ("s3://bucket-only", "does not name an object"),
        ("s3://bucket/", "does not name an object"),
        ("s3:///key", "does not name an object"),
        ("s3://key:secret@bucket/key", "credentials"),
    ],
)
def test_malformed_urls_are_refused(url, fragment):
    with pytest.raises(URLRefusedError) as info:
        urls.download(url, io.BytesIO(), max_bytes=1000, timeout=2, allow_private=True)
    assert fragment in info.value.message
    assert "secret" not in info.value.message


def test_s3_without_client_is_refused():
    with pytest.raises(URLRefusedError, match="not set up"):
        urls.download(
            "s3://bucket/key.tif", io.BytesIO(), max_bytes=10, timeout=2, allow_private=False
        )


# --- a real HTTP server on loopback -----------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the connection closes after each answer

    def log_message(self, format, *args):  # quiet test output
        pass

    def _send(self, status, body=b"", headers=(), length=True):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client under test may hang up on purpose (time or size limit).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _redirect(self, location, status=302):
        self._send(status, headers=[("Location", location)])

    def do_GET(self):  # noqa: C901 - one branch per endpoint
        path = self.path
        port = self.server.server_address[1]
        if path == "/f" or path.startswith("/f?"):
            self._send(200, PAYLOAD)
        elif path == "/redirect":
            self._redirect("/f")
        elif path == "/redirect-absolute":
            self._redirect(f"http://127.0.0.1:{port}/f", status=301)
        elif path == "/redirect-other-loopback":
            self._redirect(f"http://127.0.0.2:{port}/f")
        elif path == "/redirect-ftp":
            self._redirect("ftp://127.0.0.1/f")
        elif path == "/redirect-nowhere":
            self._send(302)
        elif path == "/loop":
            self._redirect("/loop")
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                self._send(200, PAYLOAD)
            else:
                self._redirect(f"/chain/{n - 1}")
        elif path == "/slow":
            end = time.monotonic() + SLOW_SECONDS
            while time.monotonic() < end:
                time.sleep(0.05)
            self._send(200, b"late")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        elif path == "/big":
            self._send(200, b"b" * BIG)
        elif path == "/big-no-length":
            self._send(200, b"b" * BIG, length=False)
        elif path == "/small-no-length":
            self._send(200, PAYLOAD, length=False)
        elif path == "/lying-length":
            self._send(200, b"", headers=[("Content-Length", str(10**12))], length=False)
        elif path == "/truncated":
            self._send(200, b"abc", headers=[("Content-Length", "100")], length=False)
        elif path == "/gzip":
            self._send(200, gzip.compress(PAYLOAD), headers=[("Content-Encoding", "gzip")])
        elif path == "/named":
            self._send(
                200, PAYLOAD, headers=[("Content-Disposition", 'attachment; filename="cells.tif"')]
            )
        elif path == "/host":
            self._send(200, self.headers.get("Host", "").encode())
        elif path == "/forbidden":
            self._send(403, b"no")
        elif path == "/error":
            self._send(500, b"oops")
        else:
            self._send(404, b"not found")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    yield from serve_in_thread(server)


def _ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.fixture(scope="module")
def port6() -> Iterator[int]:
    if not _ipv6_loopback_available():
        pytest.skip("IPv6 loopback is not available here")
    server = _IPv6Server(("::1", 0), _Handler)
    yield from serve_in_thread(server)


def fetch(url, *, max_bytes=10_000_000, timeout=5.0, allow_private=True):
    dest = io.BytesIO()
    name = urls.download(
        url, dest, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private
    )
    return dest.getvalue(), name


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1", "2130706433"])
def test_loopback_refused_by_default(port, host):
    with pytest.raises(URLRefusedError) as info:
        fetch(f"http://{host}:{port}/f", allow_private=False)
    assert "loopback" in info.value.message
    assert "upload the file" in info.value.message


@pytest.mark.parametrize(
    ("path", "expected_name"),
    [
        ("/f", "f"),
        ("/f?token=abc#frag", "f"),  # query and fragment are not part of the name
        ("/named", "cells.tif"),  # Content-Disposition names the file
    ],
)
def test_private_addresses_allowed_when_configured(port, path, expected_name):
    body, name = fetch(f"http://127.0.0.1:{port}{path}")
    assert body == PAYLOAD
    assert name == expected_name


def test_localhost_allowed_when_configured(port):
    body, _ = fetch(f"http://localhost:{port}/f")
    assert body == PAYLOAD


def test_ipv6_loopback(port6):
    with pytest.raises(URLRefusedError, match="loopback"):
        fetch(f"http://[::1]:{port6}/f", allow_private=False)
    body, _ = fetch(f"http://[::1]:{port6}/f")
    assert body == PAYLOAD


@pytest.mark.parametrize("path", ["/redirect", "/redirect-absolute", "/chain/5"])
def test_redirects_are_followed(port, path):
    body, name = fetch(f"http://127.0.0.1:{port}{path}")
    assert body == PAYLOAD
    assert name in ("f", "0")


def test_too_many_redirects_refused(port):
    with pytest.raises(URLRefusedError, match="more than 5 times"):
        fetch(f"http://127.0.0.1:{port}/chain/6")


def test_redirect_loop_refused(port):
    started = time.monotonic()
    with pytest.raises(URLRefusedError, match="loop"):
        fetch(f"http://127.0.0.1:{port}/loop")
    assert time.monotonic() - started < 3


def test_redirect_without_location_refused(port):
    with pytest.raises(URLRefusedError, match="without saying where"):
        fetch(f"http://127.0.0.1:{port}/redirect-nowhere")


def test_redirect_to_other_scheme_refused(port):
    with pytest.raises(URLRefusedError, match="ftp scheme"):
        fetch(f"http://127.0.0.1:{port}/redirect-ftp")


def test_redirect_targets_are_checked_again(port, monkeypatch):
    """Only 127.0.0.1 is let through; the redirect to 127.0.0.2 must be checked and refused."""
    real_check = urls.check_address
    checked = []

    def check_only_first_loopback(ip):
        checked.append(ip)
        if ip != "127.0.0.1":
            real_check(ip)

    monkeypatch.setattr(urls, "check_address", check_only_first_loopback)
    with pytest.raises(URLRefusedError, match="127.0.0.2 is refused: it is a loopback"):
        fetch(f"http://127.0.0.1:{port}/redirect-other-loopback", allow_private=False)
    assert checked == ["127.0.0.1", "127.0.0.2"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/missing", "404 Not Found"),
        ("/forbidden", "403 Forbidden"),
        ("/error", "500 Internal Server Error"),
    ],
)
def test_error_statuses_are_named(port, path, expected):
    with pytest.raises(URLRefusedError) as info:
        fetch(f"http://127.0.0.1:{port}{path}")
    assert expected in info.value.message
    assert path in info.value.message


def test_slow_server_times_out_within_bound(port):
    started = time.monotonic()
    with pytest.raises(URLRefusedError, match="longer than 1 s"):
        fetch(f"http://127.0.0.1:{port}/slow", timeout=1.0)
    assert time.monotonic() - started < 2.5


def test_slow_body_stops_at_total_deadline(port):
    started = time.monotonic()
    with pytest.raises(URLRefusedError, match="longer than 1 s"):
        fetch(f"http://127.0.0.1:{port}/drip", timeout=1.0)
    assert time.monotonic() - started < 2.5


def test_oversize_with_content_length_refused_before_reading(port):
    with pytest.raises(TooLargeError) as info:
        fetch(f"http://127.0.0.1:{port}/big", max_bytes=BIG - 1)
    assert info.value.status == 413
    assert "64.0 KB" in info.value.message


def test_absurd_content_length_refused(port):
    with pytest.raises(TooLargeError):
        fetch(f"http://127.0.0.1:{port}/lying-length", max_bytes=1000)


def test_oversize_without_content_length_stops_streaming(port):
    dest = io.BytesIO()
    with pytest.raises(TooLargeError):
        urls.download(
            f"http://127.0.0.1:{port}/big-no-length",
            dest,
            max_bytes=BIG - 1,
            timeout=5,
            allow_private=True,
        )
    assert len(dest.getvalue()) <= BIG - 1


def test_exactly_max_bytes_is_allowed(port):
    body, _ = fetch(f"http://127.0.0.1:{port}/big", max_bytes=BIG)
    assert len(body) == BIG
    body, _ = fetch(f"http://127.0.0.1:{port}/small-no-length", max_bytes=len(PAYLOAD))
    assert body == PAYLOAD


def test_truncated_body_refused(port):
    with pytest.raises(URLRefusedError, match="part way"):
        fetch(f"http://127.0.0.1:{port}/truncated")


def test_compressed_body_is_decoded(port):
    body, _ = fetch(f"http://127.0.0.1:{port}/gzip")
    assert body == PAYLOAD


def test_connection_refused_is_a_clear_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        free = unused.getsockname()[1]
    with pytest.raises(URLRefusedError, match="Could not connect"):
        fetch(f"http://127.0.0.1:{free}/f")


# --- name resolution: one lookup, pinned address, real Host header ---------------------------


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve made-up names to loopback; IP literals go to the real resolver (no network)."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            lookups.append(name)
            ips = answers[name]
            ip = ips.pop(0) if len(ips) > 1 else ips[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]
        if name == "unknown.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def test_resolved_address_is_pinned(port, fake_dns, monkeypatch):
    answers, lookups = fake_dns
    # A second lookup would answer 127.0.0.2, where nothing listens.
    answers["files.example"] = ["127.0.0.1", "127.0.0.2"]
    monkeypatch.setattr(urls, "check_address", lambda ip: None if ip == "127.0.0.1" else 1 / 0)
    body, _ = fetch(f"http://files.example:{port}/host", allow_private=False)
    assert body == f"files.example:{port}".encode()
    assert lookups == ["files.example"]


def test_name_resolving_to_private_address_refused(port, fake_dns):
    answers, _ = fake_dns
    answers["files.example"] = ["10.0.0.7"]
    with pytest.raises(URLRefusedError) as info:
        fetch(f"http://files.example:{port}/f", allow_private=False)
    assert "files.example resolves to 10.0.0.7" in info.value.message
    assert "private" in info.value.message


def test_every_resolved_address_is_checked(port, monkeypatch):
    real = socket.getaddrinfo

    def two_answers(host, port_, *args, **kwargs):
        if host == "mixed.example":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port_)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.1", port_)),
            ]
        return real(host, port_, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(URLRefusedError, match="192.168.0.1"):
        fetch(f"http://mixed.example:{port}/f", allow_private=False)


def test_unknown_host_is_a_clear_error(fake_dns):
    with pytest.raises(URLRefusedError, match="could not be resolved"):
        fetch("http://unknown.example/f", allow_private=False)


# --- https on loopback with a test certificate authority -------------------------------------


def _certificates(tmp_path, name):
    """Write a test CA and a server certificate for ``name``; return (ca, cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, public_key, signing_key, *, ca, san=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            builder = builder.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
            )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("Test CA", "Test CA", ca_key.public_key(), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = build(name, "Test CA", server_key.public_key(), ca_key, ca=False, san=name)

    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    cert_path.write_bytes(server_cert.public_bytes(pem))
    key_path.write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


@pytest.fixture
def tls(tmp_path, fake_dns):
    """An https server on 127.0.0.1 with a certificate for files.example."""
    pytest.importorskip("cryptography")
    ca_path, cert_path, key_path = _certificates(tmp_path, "files.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    answers, _ = fake_dns
    answers["files.example"] = ["127.0.0.1"]
    answers["other.example"] = ["127.0.0.1"]
    for tls_port in serve_in_thread(server):
        yield tls_port, ca_path


def test_https_verifies_the_real_host_name(tls, monkeypatch):
    tls_port, ca_path = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
    body, _ = fetch(f"https://files.example:{tls_port}/f")
    assert body == PAYLOAD
    body, _ = fetch(f"https://files.example:{tls_port}/host")
    assert body == f"files.example:{tls_port}".encode()


def test_https_refuses_a_certificate_for_another_name(tls, monkeypatch):
    tls_port, ca_path = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
    with pytest.raises(URLRefusedError, match="secure connection"):
        fetch(f"https://other.example:{tls_port}/f")


def test_https_refuses_an_untrusted_certificate(tls, monkeypatch, tmp_path):
    tls_port, _ = tls
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(URLRefusedError, match="secure connection"):
        fetch(f"https://files.example:{tls_port}/f")


# --- s3:// through moto's server ---------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, moto_port = server.get_host_and_port()
    try:
        yield f"http://{host}:{moto_port}"
    finally:
        server.stop()


def client_factory(endpoint: str):
    """Makes boto3 S3 clients for the moto server at `endpoint`, with test credentials."""
    import boto3

    def make_client():
        return boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make_client


@pytest.fixture(scope="module")
def s3_factory(s3_endpoint):
    make_client = client_factory(s3_endpoint)
    client = make_client()
    client.create_bucket(Bucket="images")
    client.put_object(Bucket="images", Key="runs/2024/cells raw.tif", Body=PAYLOAD)
    client.put_object(Bucket="images", Key="big.npz", Body=b"z" * BIG)
    return make_client


def s3_fetch(url, factory, *, max_bytes=10_000_000):
    dest = io.BytesIO()
    name = urls.download(
        url,
        dest,
        max_bytes=max_bytes,
        timeout=10,
        allow_private=False,
        s3_client_factory=factory,
    )
    return dest.getvalue(), name


@pytest.mark.s3
def test_s3_download(s3_factory):
    body, name = s3_fetch("s3://images/runs/2024/cells raw.tif", s3_factory)
    assert body == PAYLOAD
    assert name == "cells_raw.tif"


@pytest.mark.s3
def test_s3_missing_key(s3_factory):
    with pytest.raises(URLRefusedError) as info:
        s3_fetch("s3://images/runs/none.tif", s3_factory)
    assert "no object" in info.value.message
    assert "images" in info.value.message


@pytest.mark.s3
def test_s3_missing_bucket(s3_factory):
    with pytest.raises(URLRefusedError, match="bucket nothing-here does not exist"):
        s3_fetch("s3://nothing-here/a.tif", s3_factory)


@pytest.mark.s3
def test_s3_oversize(s3_factory):
    with pytest.raises(TooLargeError):
        s3_fetch("s3://images/big.npz", s3_factory, max_bytes=BIG - 1)
    body, _ = s3_fetch("s3://images/big.npz", s3_factory, max_bytes=BIG)
    assert len(body) == BIG


@pytest.fixture
def separate_s3_factory(tmp_path):
    """moto's S3 server in a process of its own, so this process's memory is the client's only."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import free_port

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server_program = Path(sys.executable).parent / "moto_server"
    with (tmp_path / "moto.log").open("wb") as log:
        server = subprocess.Popen(
            [str(server_program), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )

    make_client = client_factory(endpoint)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                make_client().list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield make_client
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.s3
def test_s3_download_streams_in_bounded_memory(separate_s3_factory, tmp_path):
    """A few-MB object goes to the file in pieces: the download never holds it whole."""
    import tracemalloc

    size = 6 * 1024 * 1024
    client = separate_s3_factory()
    client.create_bucket(Bucket="images")
    client.put_object(Bucket="images", Key="six.bin", Body=b"q" * size)
    target = tmp_path / "six.bin"
    with target.open("wb") as dest:
        tracemalloc.start()
        try:
            urls.download(
                "s3://images/six.bin",
                dest,
                max_bytes=size,
                timeout=30,
                allow_private=False,
                s3_client_factory=separate_s3_factory,
            )
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert target.read_bytes() == b"q" * size
    assert peak < size // 4, f"the download held {peak} bytes at once"


@pytest.mark.s3
def test_s3_invalid_bucket_name(s3_factory):
    with pytest.raises(URLRefusedError):
        s3_fetch("s3://Not A Bucket!/a.tif", s3_factory)
