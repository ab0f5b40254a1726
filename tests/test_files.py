"""atomic_write: whole files only, with the permissions a plain open() gives."""

import os

import pytest

from converters.files import atomic_write


def test_writes_the_text_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "out.yml"
    atomic_write(target, "a: 1\n")
    assert target.read_text() == "a: 1\n"
    assert os.listdir(target.parent) == ["out.yml"]


def test_mode_follows_the_umask_not_mkstemp(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "x").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "x"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write(target, None)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["x"]
