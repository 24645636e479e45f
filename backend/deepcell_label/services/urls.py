"""Fetch a user-given URL (http, https or s3://) into a local file, safely.

Every http(s) host name is resolved here, each address it resolves to is checked
(no loopback, private, link-local, metadata, multicast or reserved addresses unless
the server allows them), and the connection goes to the checked address itself, so
a second DNS answer can never redirect it elsewhere. TLS verification still uses the
real host name. Redirects are followed here and re-checked the same way. Time and
size are bounded throughout.

Every problem caused by the URL (bad scheme, refused address, DNS failure, timeout,
error status, too large) surfaces as ``URLRefusedError`` or ``TooLargeError`` with a
message saying what is wrong and what to do.
"""

from __future__ import annotations

import contextlib
import http
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable
from email.message import Message
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from deepcell_label.errors import TooLargeError, URLRefusedError

__all__ = ["check_address", "download"]

MAX_REDIRECTS = 5
CHUNK_SIZE = 16 * 1024  # small reads keep a compressed body from expanding much per read
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "DeepCell-Label"

WHAT_TO_DO = "Give a public http(s) or s3:// URL, or upload the file."

_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_BROADCAST_V4 = ipaddress.ip_address("255.255.255.255")
_NAT64_PREFIXES = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48"))


# --- address checks -------------------------------------------------------------------------


def _plain_reason(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``addr`` itself (ignoring any address embedded in it) may not be loaded from."""
    if addr.is_unspecified:
        return "the unspecified address"
    if addr.is_loopback:
        return "a loopback address"
    if addr in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_multicast:
        return "a multicast address"
    if addr == _BROADCAST_V4:
        return "the broadcast address"
    if addr.version == 4 and addr in _SHARED_V4:
        return "a shared (carrier-grade NAT) address"
    if any(addr in net for net in _PRIVATE_NETWORKS if net.version == addr.version):
        return "a private network address"
    if addr.version == 6 and addr.is_site_local:
        return "a site-local address"
    if addr.is_reserved:
        return "a reserved address"
    if not addr.is_global:
        return "not a public internet address"
    return None


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address carried inside an IPv6 address, with the name of the form."""
    if addr.ipv4_mapped is not None:
        return "an IPv4-mapped form", addr.ipv4_mapped
    if addr.sixtofour is not None:
        return "a 6to4 form", addr.sixtofour
    if any(addr in net for net in _NAT64_PREFIXES):
        return "a NAT64 form", ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def _refusal_reason(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why loading from ``addr`` is refused, or None when it is a public address.

    An IPv6 address that carries an IPv4 address (IPv4-mapped, 6to4, NAT64) reaches
    that IPv4 address, so it is judged by it alone.
    """
    if addr.version == 6:
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            form, v4 = embedded
            inner = _plain_reason(v4)
            return None if inner is None else f"{form} of {v4}, which is {inner}"
    return _plain_reason(addr)


def check_address(ip: str) -> None:
    """Raise URLRefusedError unless ``ip`` is a public (globally routable) unicast address.

    Refuses loopback, private, shared (CGNAT), link-local, cloud metadata, multicast,
    broadcast, reserved and unspecified addresses, for IPv4 and IPv6, including IPv4
    addresses carried in IPv6 (IPv4-mapped, 6to4, NAT64).
    """
    try:
        addr = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        raise URLRefusedError(f"{ip!r} is not an IP address. {WHAT_TO_DO}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        # A zone index only makes sense for addresses on a local link.
        raise URLRefusedError(
            f"Loading from {ip} is refused: it is a link-local address. {WHAT_TO_DO}"
        )
    reason = _refusal_reason(addr)
    if reason is not None:
        raise URLRefusedError(f"Loading from {ip} is refused: it is {reason}. {WHAT_TO_DO}")


# --- helpers --------------------------------------------------------------------------------


class _Deadline:
    """The total time a download may take."""

    def __init__(self, seconds: float, shown: str) -> None:
        self.seconds = seconds
        self.shown = shown
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error()
        return left

    def error(self) -> URLRefusedError:
        return URLRefusedError(
            f"Loading {self.shown} took longer than {self.seconds:g} s and was stopped. "
            "Try again later, put the file on a faster server, or upload it."
        )


def _show(url: str) -> str:
    """The URL for messages: without query, fragment or credentials, and not too long."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        shown = f"{parts.scheme}://{host}{port}{parts.path}"
    except ValueError:
        shown = url.split("?", 1)[0].split("#", 1)[0]
    return shown if len(shown) <= 200 else shown[:197] + "..."


def _size(n: int) -> str:
    """A byte count for people."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"  # not reached


def _too_large(shown: str, max_bytes: int, size: int | None = None) -> TooLargeError:
    how_big = f"is {_size(size)}" if size is not None else "is larger than that"
    return TooLargeError(
        f"{shown} {how_big}; the limit for loading from a URL is {_size(max_bytes)}. "
        "Use a smaller file, or split the data into several projects."
    )


_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")


def _sanitize_name(segment: str) -> str:
    """A harmless file name from the last segment of a path ("" when nothing usable is left)."""
    name = unquote(segment).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip("._ ")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 20 else name[:200]
    return name


def _content_disposition_name(value: str | None) -> str:
    if not value:
        return ""
    message = Message()
    message["Content-Disposition"] = value
    try:
        filename = message.get_filename()
    except (ValueError, LookupError, TypeError):
        return ""
    return _sanitize_name(filename) if filename else ""


def _copy(
    read: Callable[[int], bytes],
    dest: BinaryIO,
    max_bytes: int,
    deadline: _Deadline,
    shown: str,
    set_timeout: Callable[[float], None] | None,
) -> None:
    """Copy chunks from ``read`` into ``dest``, stopping past ``max_bytes`` or the deadline."""
    written = 0
    while True:
        left = deadline.remaining()
        if set_timeout is not None:
            set_timeout(left)
        chunk = read(CHUNK_SIZE)
        if not chunk:
            return
        written += len(chunk)
        if written > max_bytes:
            raise _too_large(shown, max_bytes)
        dest.write(chunk)


# --- http(s) --------------------------------------------------------------------------------


def _resolve(host: str, port: int, deadline: _Deadline, shown: str) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order, without repeats."""
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (OSError, UnicodeError) as exc:
            outcome["error"] = exc

    # getaddrinfo has no timeout of its own; wait for it no longer than the deadline.
    worker = threading.Thread(target=lookup, name="url-dns-lookup", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise deadline.error()
    if "error" in outcome:
        raise URLRefusedError(
            f"The host name {host} in {shown} could not be resolved ({outcome['error']}). "
            "Check the URL for typing mistakes."
        )
    addresses: list[str] = []
    for family, _type, _proto, _canon, sockaddr in outcome["infos"]:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = str(sockaddr[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise URLRefusedError(
            f"The host name {host} in {shown} has no IP address. Check the URL for typing mistakes."
        )
    return addresses


class _Target:
    """A checked http(s) URL split into what a request needs."""

    def __init__(self, url: str) -> None:
        self.shown = _show(url)
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise URLRefusedError(
                f"{self.shown} is not a valid URL. Give a URL like https://example.org/image.tif."
            ) from None
        self.scheme = parts.scheme.lower()
        if self.scheme not in ("http", "https"):
            raise URLRefusedError(
                f"{self.shown} uses the {self.scheme or 'missing'} scheme; only http, https "
                f"and s3:// URLs can be loaded. {WHAT_TO_DO}"
            )
        if "@" in parts.netloc:
            raise URLRefusedError(
                f"{self.shown} contains a user name or password, which is refused. "
                "Give a URL without credentials (for private files, a pre-signed URL), "
                "or upload the file."
            )
        host = parts.hostname or ""
        if not host:
            raise URLRefusedError(
                f"{self.shown} has no host name. Give a URL like https://example.org/image.tif."
            )
        if port == 0:
            raise URLRefusedError(f"{self.shown} has port 0. Give a URL with a valid port.")
        try:
            self.host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError:
            raise URLRefusedError(
                f"The host name in {self.shown} is not valid. Check the URL for typing mistakes."
            ) from None
        self.default_port = 443 if self.scheme == "https" else 80
        self.port = port or self.default_port
        self.url = url.strip()
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        self.request_path = path + (f"?{query}" if query else "")
        self.last_segment = parts.path.rsplit("/", 1)[-1]

    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == self.default_port else f"{host}:{self.port}"


def _checked_addresses(target: _Target, allow_private: bool, deadline: _Deadline) -> list[str]:
    addresses = _resolve(target.host, target.port, deadline, target.shown)
    if not allow_private:
        for ip in addresses:
            try:
                check_address(ip)
            except URLRefusedError as exc:
                if target.host.strip("[]") == ip:
                    raise
                raise URLRefusedError(f"{target.host} resolves to {ip}. {exc.message}") from None
    return addresses


def _open(target: _Target, ip: str, deadline: _Deadline) -> urllib3.BaseHTTPResponse:
    """Send a GET for ``target`` to the already checked address ``ip``."""
    left = deadline.remaining()
    timeout = urllib3.Timeout(connect=left, read=left)
    headers = {
        "Host": target.host_header(),
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        "Accept-Encoding": "identity",
    }
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            host=ip,
            port=target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            host=ip, port=target.port, timeout=timeout, retries=False, maxsize=1
        )
    return pool.urlopen(
        "GET",
        target.request_path,
        headers=headers,
        redirect=False,
        retries=False,
        preload_content=False,
        decode_content=True,
        assert_same_host=False,
        release_conn=False,
    )


def _connect_any(
    target: _Target, addresses: list[str], deadline: _Deadline
) -> urllib3.BaseHTTPResponse:
    """Try the checked addresses in order until one answers."""
    last: Exception | None = None
    for ip in addresses:
        try:
            return _open(target, ip, deadline)
        except NewConnectionError as exc:
            # Checked before ConnectTimeoutError: urllib3 derives one from the other.
            last = exc
        except Urllib3TimeoutError:
            raise deadline.error() from None
        except SSLError as exc:
            raise URLRefusedError(
                f"The secure connection to {target.host} for {target.shown} failed "
                f"({_reason_text(exc)}). Check that the URL is right, or use another server."
            ) from None
        except (Urllib3HTTPError, OSError) as exc:
            raise URLRefusedError(
                f"Loading {target.shown} failed: {_reason_text(exc)}. "
                "Check the URL, try again later, or upload the file."
            ) from None
    raise URLRefusedError(
        f"Could not connect to {target.host} port {target.port} for {target.shown} "
        f"({_reason_text(last)}). Check the URL, try again later, or upload the file."
    )


def _reason_text(exc: BaseException | None) -> str:
    """The innermost useful description of a network error."""
    while exc is not None and getattr(exc, "reason", None) is not None:
        inner = exc.reason  # type: ignore[attr-defined]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    text = str(exc) if exc is not None else "unknown error"
    # urllib3 prefixes messages with an object repr; keep what follows it.
    text = re.sub(r"^<[^>]*>:\s*", "", text)
    return text[:300] or type(exc).__name__


def _status_error(status: int, shown: str) -> URLRefusedError:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    answered = f"{status} {phrase}".strip()
    if status in (401, 403):
        hint = "The file is not public: give a public or pre-signed URL, or upload the file."
    elif status == 404:
        hint = "Check that the URL points directly at the file."
    elif status >= 500:
        hint = "The server had a problem; try again later, or upload the file."
    else:
        hint = "Give a URL that leads directly to the file, or upload the file."
    return URLRefusedError(f"{shown} answered {answered}. {hint}")


def _download_http(
    url: str, dest: BinaryIO, max_bytes: int, deadline: _Deadline, allow_private: bool
) -> str:
    target = _Target(url)
    first_name = _sanitize_name(target.last_segment)
    seen = {target.url}
    redirects = 0
    while True:
        addresses = _checked_addresses(target, allow_private, deadline)
        response = _connect_any(target, addresses, deadline)
        try:
            status = response.status
            if status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise URLRefusedError(
                        f"{target.shown} answered {status} (a redirect) without saying where to. "
                        "Give the file's final URL."
                    )
                redirects += 1
                next_url = urljoin(target.url, location.strip())
                if next_url in seen:
                    raise URLRefusedError(
                        f"{_show(url)} redirects in a loop (back to {_show(next_url)}). "
                        "Give the file's final URL, or upload the file."
                    )
                if redirects > MAX_REDIRECTS:
                    raise URLRefusedError(
                        f"{_show(url)} redirected more than {MAX_REDIRECTS} times. "
                        "Give the file's final URL, or upload the file."
                    )
                seen.add(next_url)
                target = _Target(next_url)
                continue
            if status != 200:
                raise _status_error(status, target.shown)
            length = response.headers.get("Content-Length")
            if length is not None and length.strip().isdigit() and int(length) > max_bytes:
                raise _too_large(target.shown, max_bytes, int(length))
            _stream_http(response, dest, max_bytes, deadline, target.shown)
            name = _content_disposition_name(response.headers.get("Content-Disposition"))
            return name or _sanitize_name(target.last_segment) or first_name
        finally:
            response.close()


def _stream_http(
    response: urllib3.BaseHTTPResponse,
    dest: BinaryIO,
    max_bytes: int,
    deadline: _Deadline,
    shown: str,
) -> None:
    connection = getattr(response, "connection", None)

    def set_timeout(seconds: float) -> None:
        sock = getattr(connection, "sock", None)
        if sock is not None:
            sock.settimeout(seconds)

    def read(amount: int) -> bytes:
        # read1 returns what has arrived instead of waiting for a full chunk, so a
        # server that trickles bytes is still stopped at the deadline.
        return response.read1(amount, decode_content=True)

    try:
        _copy(read, dest, max_bytes, deadline, shown, set_timeout)
    except Urllib3TimeoutError:
        raise deadline.error() from None
    except (Urllib3HTTPError, OSError) as exc:
        if isinstance(exc, TimeoutError):
            raise deadline.error() from None
        raise URLRefusedError(
            f"Reading {shown} failed part way ({_reason_text(exc)}). "
            "Try again later, or upload the file."
        ) from None


# --- s3 -------------------------------------------------------------------------------------


def _split_s3(url: str) -> tuple[str, str]:
    rest = url.strip()[len("s3://") :]
    bucket, _, key = rest.partition("/")
    if not bucket or not key or key.endswith("/"):
        raise URLRefusedError(
            f"{_show(url)} does not name an object. Give a URL like s3://bucket/path/to/file.tif."
        )
    if "@" in bucket or ":" in bucket:
        raise URLRefusedError(
            f"{_show(url)} contains credentials or a port, which is refused. "
            "Give a URL like s3://bucket/path/to/file.tif."
        )
    return bucket, key


def _s3_error(exc: Exception, bucket: str, key: str, client: Any) -> URLRefusedError:
    """A user-facing error for a failed S3 call."""
    from botocore.exceptions import ClientError, ParamValidationError

    where = f"s3://{bucket}/{key}"
    if isinstance(exc, ParamValidationError):
        return URLRefusedError(
            f"{_show(where)} is not a valid S3 location ({exc}). Check the bucket name and key."
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchBucket",):
            return URLRefusedError(
                f"The bucket {bucket} does not exist. Check the bucket name in the URL."
            )
        if code in ("404", "NoSuchKey", "NotFound"):
            if not _bucket_exists(client, bucket):
                return URLRefusedError(
                    f"The bucket {bucket} does not exist. Check the bucket name in the URL."
                )
            return URLRefusedError(
                f"There is no object {key!r} in the bucket {bucket}. Check the key in the URL."
            )
        if code in ("403", "AccessDenied", "Forbidden", "AllAccessDisabled"):
            return URLRefusedError(
                f"This server may not read {_show(where)} (access denied). "
                "Give a public or pre-signed https URL, or upload the file."
            )
        return URLRefusedError(
            f"Object storage refused reading {_show(where)} ({code or exc}). "
            "Check the URL, or upload the file."
        )
    return URLRefusedError(
        f"Reading {_show(where)} failed ({_reason_text(exc)}). Try again later, or upload the file."
    )


def _bucket_exists(client: Any, bucket: str) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code not in ("404", "NoSuchBucket", "NotFound")
    except BotoCoreError:
        return True
    return True


def _download_s3(
    url: str,
    dest: BinaryIO,
    max_bytes: int,
    deadline: _Deadline,
    s3_client_factory: Callable[[], Any] | None,
) -> str:
    bucket, key = _split_s3(url)
    if s3_client_factory is None:
        raise URLRefusedError(
            "Loading from s3:// URLs is not set up on this server. "
            "Give a public http(s) URL, or upload the file."
        )
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ReadTimeoutError as BotoReadTimeoutError

    shown = _show(f"s3://{bucket}/{key}")
    client = s3_client_factory()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
        size = int(head.get("ContentLength") or 0)
        if size > max_bytes:
            raise _too_large(shown, max_bytes, size)
        deadline.remaining()
        answer = client.get_object(Bucket=bucket, Key=key)
    except (NoCredentialsError, PartialCredentialsError):
        raise  # the server's configuration, not the user's mistake
    except (ClientError, BotoCoreError) as exc:
        raise _s3_error(exc, bucket, key, client) from None

    body = answer["Body"]
    set_timeout = getattr(body, "set_socket_timeout", None)

    def guarded_set_timeout(seconds: float) -> None:
        with contextlib.suppress(AttributeError, OSError):
            set_timeout(seconds)  # type: ignore[misc]

    try:
        length = answer.get("ContentLength")
        if length is not None and int(length) > max_bytes:
            raise _too_large(shown, max_bytes, int(length))
        _copy(
            body.read,
            dest,
            max_bytes,
            deadline,
            shown,
            guarded_set_timeout if set_timeout else None,
        )
    except (BotoCoreError, OSError, Urllib3HTTPError) as exc:
        if isinstance(exc, TimeoutError | BotoReadTimeoutError | Urllib3TimeoutError):
            raise deadline.error() from None
        raise _s3_error(exc, bucket, key, client) from None
    finally:
        body.close()
    return _sanitize_name(key)


# --- entry point ----------------------------------------------------------------------------


def check_form(url: str) -> None:
    """Refuse a URL whose form can never be loaded (scheme, host, credentials, control
    characters), before any name is looked up."""
    if not isinstance(url, str) or not url.strip():
        raise URLRefusedError("No URL was given. " + WHAT_TO_DO)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url.strip()):
        raise URLRefusedError(
            f"{_show(url)!r} contains control characters. Give the URL exactly as copied."
        )
    if url.strip().lower().startswith("s3://"):
        _split_s3(url)
    else:
        _Target(url)


def download(
    url: str,
    dest: BinaryIO,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool,
    s3_client_factory: Callable[[], Any] | None = None,
) -> str:
    """Write the body at ``url`` into ``dest`` and return a suggested file name.

    ``url`` is http(s) or ``s3://bucket/key``. ``max_bytes`` bounds the body, ``timeout``
    bounds the whole download (name lookup, connections, redirects and reading). With
    ``allow_private`` false, hosts resolving to non-public addresses are refused.
    ``s3_client_factory`` makes the boto3 S3 client used for ``s3://`` URLs.

    The suggestion is the last path segment (or the server's Content-Disposition file
    name), sanitized; it may be "". When an error is raised, ``dest`` may hold part of
    the body and should be discarded.
    """
    check_form(url)
    deadline = _Deadline(timeout, _show(url))
    if url.strip().lower().startswith("s3://"):
        return _download_s3(url, dest, max_bytes, deadline, s3_client_factory)
    return _download_http(url, dest, max_bytes, deadline, allow_private)
