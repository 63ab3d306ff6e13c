"""``scan_file``: the input's sha256 and its quote parity in one pass (issue #18, target 5).

The reference is :mod:`hashlib` over the whole file read at once and ``bytes.count`` of the
quotes, the two passes the command made before.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from churnsurv.report.io import file_sha256
from churnsurv.report.reading import scan_file


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'id,note\na,"open',
        b'id,note\na,"closed ""x"""\n',
        # quotes on both sides of the 16 MiB block boundary
        b"x" * ((1 << 24) - 1) + b'""' + b'y"' * 3,
    ],
)
def test_scan_file_matches_hashlib_and_a_quote_count(tmp_path, content):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    sha, odd = scan_file(path)
    assert sha == hashlib.sha256(content).hexdigest()
    assert odd == (content.count(b'"') % 2 == 1)
    assert file_sha256(path) == sha


def test_a_changed_file_is_scanned_again(tmp_path):
    """The kept result is for the file as it was: a rewrite (new size or time) is read anew."""
    path = tmp_path / "customers.csv"
    path.write_bytes(b"id\na\n")
    first = scan_file(path)
    path.write_bytes(b'id\n"b\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert scan_file(path) == (hashlib.sha256(b'id\n"b\n').hexdigest(), True)
    assert first[1] is False
