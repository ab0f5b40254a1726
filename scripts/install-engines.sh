#!/usr/bin/env bash
# The engines the proof runs beyond Python: Java and Debian's Lucene jars (the lucene column).
# As root on Debian/Ubuntu they are installed with apt; otherwise the one command to run is printed
# and the caller goes on (`make run` then proves the other targets and marks Lucene skipped).
set -euo pipefail
PYTHON=${1:-.venv/bin/python}

if "$PYTHON" -c 'import sys; from converters.lucene.executor import LuceneExecutor; sys.exit(1 if LuceneExecutor().unavailable() else 0)'; then
    exit 0
fi
PACKAGES="default-jdk-headless liblucene8-java"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Java and Lucene for the lucene column: apt-get install $PACKAGES" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
else
    echo "the lucene column needs Java and Lucene; install them with:" >&2
    echo "    sudo apt-get install $PACKAGES" >&2
fi
