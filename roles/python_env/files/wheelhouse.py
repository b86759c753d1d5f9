#!/usr/bin/env python3
"""Build a wheelhouse on the controller for a host's Python, so hosts install with no internet.

Binary wheels are downloaded for the target interpreter and platform, for every lock file given
(one folder serves every version set; a lock file's variant for the target Python,
NAME-pyXY.txt, replaces it); a pinned package that only
ships an sdist is built into a wheel here and accepted only if that wheel is pure Python. The
folder gets a stamp with the hash of the lock files: an up-to-date wheelhouse is left alone.
Prints "changed" or "ok" as its last line.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path


def for_python(locks: list[Path], python: str) -> list[Path]:
    """Each lock file, or its variant for this Python where there is one: requirements/NAME-pyXY.txt
    (the newest versions that still support an older Python) stands in for NAME.txt."""
    suffix = "-py" + python.replace(".", "")
    return [variant if (variant := lock.with_name(lock.stem + suffix + lock.suffix)).is_file()
            else lock for lock in locks]


def lock_hash(locks: list[Path], tag: str) -> str:
    digest = hashlib.sha256(tag.encode())
    for lock in sorted(locks):
        digest.update(lock.read_bytes())
    return digest.hexdigest()


def platform_args(glibc: str, machine: str) -> list[str]:
    major, minor = (int(x) for x in glibc.split(".")[:2])
    tags = [f"manylinux_{major}_{m}_{machine}" for m in range(17, minor + 1)]
    tags += [f"manylinux2014_{machine}", f"linux_{machine}", "any"]
    return [arg for tag in tags for arg in ("--platform", tag)]


def build(locks: list[Path], out: Path, python: str, glibc: str, machine: str) -> None:
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    download = [*pip, "download", "--quiet", "--no-deps", "--prefer-binary", "-d", str(tmp)]
    download += ["--python-version", python, "--implementation", "cp"]
    download += platform_args(glibc, machine)
    for lock in locks:  # one call per lock: version sets pin different versions of a package
        subprocess.run([*download, "-r", str(lock)], check=True)
    for sdist in sorted(tmp.glob("*.tar.gz")) + sorted(tmp.glob("*.zip")):
        subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "-w", str(tmp), str(sdist)],
                       check=True)
        sdist.unlink()
    impure = [w.name for w in tmp.glob("*.whl") if not w.name.endswith(
        ("-none-any.whl", f"-cp{python.replace('.', '')}-{machine}.whl")) and "manylinux" not in
        w.name and "linux_" not in w.name]
    if impure:
        raise SystemExit(f"wheels that do not fit Python {python}: {impure}")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--python", required=True, help="target Python, e.g. 3.11")
    parser.add_argument("--glibc", required=True, help="target glibc, e.g. 2.36")
    parser.add_argument("--machine", required=True, help="target machine, e.g. x86_64")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("locks", nargs="+", type=Path)
    args = parser.parse_args()
    args.locks = for_python(args.locks, args.python)
    stamp = args.out / ".stamp"
    wanted = lock_hash(args.locks, f"{args.python}-{args.glibc}-{args.machine}")
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        print("ok")
        return 0
    build(args.locks, args.out, args.python, args.glibc, args.machine)
    stamp.write_text(wanted + "\n")
    print("changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
