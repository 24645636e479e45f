"""Reading members of zip and tar archives, with guards against unsafe names and archives
that expand to far more than they claim (zip bombs).

Member names are only ever compared as text. A member that needs random access (a TIFF) is
read where it lies in the archive when it is stored uncompressed, else from a temporary file
that stays in memory while small.
"""

from __future__ import annotations

import re
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from deepcell_label.errors import InputFormatError, TooLargeError
from deepcell_label.formats.limits import Limits

MAX_MEMBERS = 10_000
# An OME-Zarr keeps one entry per chunk, so a large image has many more.
MAX_ZARR_MEMBERS = 200_000
ZARR_METADATA = (".zattrs", ".zgroup", ".zarray", "zarr.json")
CHUNK = 2**20
# A compressed member that needs random access stays in memory up to this size.
SPOOL_BYTES = 16 * 2**20
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, name and extra field lengths


def is_junk(name: str) -> bool:
    """Entries that macOS and Windows add to archives, and folders."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return (
        name.startswith("__MACOSX/")
        or base.startswith("._")
        or base in (".DS_Store", "Thumbs.db", "")
        or name.endswith("/")
    )


def check_name(name: str) -> None:
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise InputFormatError(
            f"The archive contains an entry named {name[:80]!r} that points outside the archive; "
            "re-create the archive with plain relative names."
        )


def relative_names(names: list[str]) -> dict[str, str]:
    """Map each name to its name without a folder that every entry shares (e.g. 'project/')."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return {name: name.split("/", 1)[1] for name in names}
    return {name: name for name in names}


class ZipMembers:
    """The useful members of a zip, read one at a time within the limits."""

    def __init__(self, fileobj: BinaryIO, limits: Limits) -> None:
        try:
            self.zip = zipfile.ZipFile(fileobj)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise InputFormatError(
                f"The zip file could not be read ({error}); it may be damaged or incomplete. "
                "Create it again and re-upload it."
            ) from None
        zarr = any(info.filename.rsplit("/", 1)[-1] in ZARR_METADATA for info in infos)
        most = MAX_ZARR_MEMBERS if zarr else MAX_MEMBERS
        if len(infos) > most:
            raise InputFormatError(
                f"The zip file has {len(infos):,} entries; at most {most:,} are read"
                f"{' from an OME-Zarr' if zarr else ''}."
            )
        self.fileobj = fileobj
        self.limits = limits
        useful = []
        for info in infos:
            check_name(info.filename)
            if not is_junk(info.filename):
                useful.append(info)
        self.infos = {info.filename: info for info in useful}
        self.names = relative_names(list(self.infos))

    def open(self, name: str) -> BinaryIO:
        """A stream over the member, for readers that bound what they read by the member's own
        header (checked against the limits) rather than by its declared size."""
        try:
            return _MemberStream(self.zip.open(self.infos[name]), name)
        except MEMBER_ERRORS as error:
            raise _damaged_member(name, error) from None

    def declared_size(self, name: str) -> int:
        return self.infos[name].file_size

    def head(self, name: str, count: int = 512) -> bytes:
        """The first ``count`` bytes of a member (to recognise its format)."""
        with self.open(name) as stream:
            return stream.read(count)

    def seekable(self, name: str) -> tuple[BinaryIO, int | None, int | None]:
        """(file, offset, size) of a member for a reader that seeks (a TIFF).

        A stored member is read where it lies in the archive (its checksum checked first); a
        compressed one is inflated into a temporary file, in memory while small."""
        info = self.infos[name]
        self.limits.take_archive_bytes(info.file_size, name)
        offset = self._stored_offset(info)
        if offset is not None:
            self._check_stored(info, offset)
            return self.fileobj, offset, info.file_size
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            with self.open(name) as stream:
                _copy_at_most(stream, spool, info.file_size, name)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool, None, None

    def _stored_offset(self, info: zipfile.ZipInfo) -> int | None:
        """Where a stored, unencrypted member's data begins in the archive, or None."""
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1:
            return None
        if info.compress_size != info.file_size:
            return None
        self.fileobj.seek(info.header_offset)
        header = self.fileobj.read(LOCAL_HEADER.size)
        if len(header) != LOCAL_HEADER.size:
            return None
        signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
        if signature != b"PK\x03\x04":
            return None
        return info.header_offset + LOCAL_HEADER.size + name_length + extra_length

    def _check_stored(self, info: zipfile.ZipInfo, offset: int) -> None:
        """A stored member read in place is checked as zipfile would: its size and checksum."""
        self.fileobj.seek(offset)
        left, crc = info.file_size, 0
        while left:
            chunk = self.fileobj.read(min(CHUNK, left))
            if not chunk:
                raise _damaged_member(info.filename, EOFError("the data stops early"))
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
        if crc != info.CRC:
            raise _damaged_member(info.filename, ValueError("its checksum does not match"))

    def read(self, name: str) -> bytes:
        info = self.infos[name]
        self.limits.take_archive_bytes(info.file_size, name)
        try:
            with self.zip.open(info) as stream:
                data = _read_at_most(stream, info.file_size, name)
        except MEMBER_ERRORS as error:
            raise _damaged_member(name, error) from None
        return data


# What reading a damaged member can raise (zlib.error: corrupt deflate data).
MEMBER_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error)


class _MemberStream:
    """A zip member's stream whose read errors become our message about a damaged member."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def _guard(self, method, *args):
        try:
            return method(*args)
        except MEMBER_ERRORS as error:
            raise _damaged_member(self._name, error) from None

    def read(self, *args):
        return self._guard(self._stream.read, *args)

    def readinto(self, *args):
        return self._guard(self._stream.readinto, *args)

    def seek(self, *args):
        return self._guard(self._stream.seek, *args)

    def __getattr__(self, attribute):
        return getattr(self._stream, attribute)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._stream.close()


def _damaged_member(name: str, error: Exception) -> InputFormatError:
    return InputFormatError(
        f"The member '{name}' of the zip file could not be read ({error}); the zip may be "
        "damaged. Create it again and re-upload it."
    )


def _copy_at_most(stream: BinaryIO, target, size: int, name: str) -> None:
    """Copy a member's stream to ``target`` (a file or a list of chunks), refusing more bytes
    than the member declares."""
    total = 0
    while chunk := stream.read(CHUNK):
        total += len(chunk)
        if total > size:
            raise TooLargeError(
                f"The archive member '{name}' expands to more than the {size:,} bytes it declares; "
                "the archive is damaged or malicious."
            )
        if isinstance(target, list):
            target.append(chunk)
        else:
            target.write(chunk)


def _read_at_most(stream: BinaryIO, size: int, name: str) -> bytes:
    chunks: list[bytes] = []
    _copy_at_most(stream, chunks, size, name)
    return b"".join(chunks)


class TarMembers:
    """The regular-file members of a (possibly compressed) tar archive, such as .trk files."""

    def __init__(self, fileobj: BinaryIO, limits: Limits) -> None:
        self.limits = limits
        try:
            # Lives as long as this object; the caller closes the underlying file.
            self.tar = tarfile.open(fileobj=fileobj, mode="r:*")  # noqa: SIM115
            members = []
            for member in self.tar:
                if len(members) >= MAX_MEMBERS:
                    raise InputFormatError(f"The tar file has more than {MAX_MEMBERS:,} entries.")
                members.append(member)
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            raise InputFormatError(
                f"The tar (.trk/.trks) file could not be read ({error}); it may be damaged or "
                "incomplete."
            ) from None
        for member in members:
            check_name(member.name)
        useful = [m for m in members if m.isfile() and not is_junk(m.name)]
        self.members = {member.name: member for member in useful}
        self.names = relative_names(list(self.members))

    def open(self, name: str) -> BinaryIO:
        """A stream over a member (for readers that bound what they read by its own header)."""
        member = self.members[name]
        self.limits.take_archive_bytes(member.size, name)
        with self._errors(name):
            stream = self.tar.extractfile(member)
        if stream is None:
            raise InputFormatError(f"The tar member '{name}' is not a regular file.")
        return stream

    def read(self, name: str) -> bytes:
        stream = self.open(name)
        with self._errors(name):
            data = _read_at_most(stream, self.members[name].size, name)
        if len(data) != self.members[name].size:
            raise InputFormatError(f"The member '{name}' of the tar file is incomplete.")
        return data

    @staticmethod
    @contextmanager
    def _errors(name: str) -> Iterator[None]:
        try:
            yield
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            raise InputFormatError(
                f"The member '{name}' of the tar file could not be read ({error}); the file may "
                "be damaged."
            ) from None
