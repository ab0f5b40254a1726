"""Run Lucene query_string queries with the real Lucene engine (Apache Lucene 9.12.2).

The jars are installed at set-up time (converters.lucene.jars says which and
from where; `make engines` installs them); this adapter only finds them.

Targets that emit Elasticsearch `query_string` syntax (pySigma's Lucene
backend) are proved here on the Elastic platform's events: a flat dict of
dotted field path -> list of values, as Elasticsearch's doc-values view shows
a document. A small Java program (helper/RuleportLucene.java) is
compiled on first use into a cache directory keyed by the hash of its source
and of the jars (and jarred with a class-data archive, which halves the
JVM's start-up), then started once per executor to serve every batch
(`run()`, or `run_many()` for several queries over the same events): the
queries go in on stdin, the helper names the fields they read, those fields
of every event are streamed in while it indexes, and the matching indexes
come out on stdout.

Semantics (what Elasticsearch does for keyword fields, and what we test):

- Every string field is an Elasticsearch `keyword`: the value is one whole
  term, matched exactly and case-sensitively (`process.name:node.exe` does
  not match `Node.exe`). Wildcards (`*` any run, `?` exactly one character)
  and prefixes are case-sensitive too.
- A field named `<x>.caseless` carries a lowercase normalizer (Elastic's ECS
  `caseless` multi-fields): indexed values and query terms (term, wildcard,
  prefix, regexp) are lower-cased before comparison.
- Arrays are multi-valued fields: a clause matches a document when ANY value
  matches it (`process.args:-r` matches `["node", "-r", "x.js"]`).
- A missing field (or an empty list, or None) has no term: positive clauses
  on it never match, `NOT field:x` matches.
- `_exists_:field` (and `field:*`) is rewritten to a term on a hidden
  `_field_names` field that lists the fields present in each document, as
  Elasticsearch does.
- Leading wildcards are allowed (`*\\node.exe`), as query_string allows them.
- `/regex/` is a Lucene RegexpQuery (Lucene's regular-expression syntax,
  anchored to the whole term, all optional operators enabled).
- A boolean group made only of negations, `(NOT a:b)`, matches every
  document but those (Elasticsearch adds a match_all clause; plain Lucene
  would match nothing).
- Operators: `AND`, `OR`, `NOT`, `+`, `-`, parentheses; implicit operator OR.
  A quoted string is one term. Unquoted text splits on operators only (as
  query_string does since Elasticsearch 6): a field prefix binds the next
  term, and a run of plain terms with no operator between them is analyzed
  as one text, so `f:(a b)` and an unbound `a b` look for the value "a b".
  There is no precedence: mixing AND and OR without parentheses follows the
  classic parser (`a OR b AND c` means `+b +c`, with `a` optional), as in
  Elasticsearch; pySigma parenthesizes every group.
- A term with no field searches every field (default_field `*`), leniently.
- A field is indexed by the type its index mapping gives it, where the
  executor is told (`field_types`: the Elastic platform's index templates
  and ECS, converters.platforms.elastic.field_types), as Elasticsearch
  indexes a document by its mapping
  (https://www.elastic.co/guide/en/elasticsearch/reference/current/mapping-types.html):
  - keyword, constant_keyword, wildcard: keyword (above); a number or a
    boolean there is its text;
  - long, integer, short, byte, unsigned_long: a long point; a string that
    parses as a number is coerced and a fraction truncated (`coerce`, on by
    default); double, scaled_float: a double point; float, half_float: a
    float point (scaled_float's rounding to its factor and half_float's
    16 bits are not modelled);
  - ip: an InetAddressPoint. A term is an address or a CIDR block
    (`source.ip:10.0.0.0\\/8` matches 10.1.2.3: Elasticsearch's term query on
    an ip field takes `address/prefix`, the ip field type reference); a
    range compares addresses; a wildcard, prefix or regexp is an error.
  - text, match_only_text: analysed words (Elasticsearch's `text` field,
    https://www.elastic.co/guide/en/elasticsearch/reference/current/text.html):
    the standard analyzer (standard tokenizer, lower-cased, no stop words) or,
    for a type `text:powershell_script_analyzer`, the Windows integration's
    pattern analyzer (words are runs of ASCII letters, digits, `_` and `-`,
    lower-cased). A quoted value is a phrase of its words (consecutive, never
    across two values of an array: position_increment_gap 100), an unquoted
    one any of its words; wildcard and prefix terms are lower-cased and
    matched against each word alone.
  A value the type cannot parse raises ExecutionError (Elasticsearch rejects
  the document: converters.prove.mapping leaves such events out first).
  Other fields (dates, booleans, fields no mapping names) take their type
  from the batch's values: integers `long`, other numbers `double`, a field
  holding numbers and strings a keyword of their text; booleans are keywords
  `true` / `false`. `f:5`, `f:[1 TO 5]`, `f:>5`, `f:<=5` compare numerically
  on a numeric field; a wildcard or regexp there is an error, as in
  Elasticsearch.
- Elasticsearch 8 sizes Lucene's clause limit by the node (at least 1024);
  the helper allows 4096 leaf queries, the figure of a 1 GB heap and 10
  processors (RuleportLucene.MAX_CLAUSE_COUNT says how it is computed).
- A query the parser rejects raises ExecutionError with Lucene's message;
  so does a value that is neither text, number nor boolean in a field the
  query reads (events must be flattened to dotted paths).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from converters.engine.executor import Event, ExecutionError, Executor
from converters.lucene import jars as J

HELPER = Path(__file__).with_name("helper") / "RuleportLucene.java"
MAIN_CLASS = "RuleportLucene"


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _values(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None]
    return [value]


#: Elasticsearch field type -> the helper's kind (k keyword, l long, d double, f float, i ip,
#: t text with the standard analyzer, p text with Elastic's powershell_script_analyzer: an
#: analysed field's type names its analyzer, `text:<analyzer>`, when it is not the standard one);
#: types not listed (date, boolean...) take their kind from the values
MAPPED_KINDS = {
    "keyword": "k", "constant_keyword": "k", "wildcard": "k",
    "long": "l", "integer": "l", "short": "l", "byte": "l", "unsigned_long": "l",
    "double": "d", "scaled_float": "d", "float": "f", "half_float": "f",
    "ip": "i",
    "text": "t", "match_only_text": "t", "text:powershell_script_analyzer": "p",
}


def _field_types(events: Sequence[Event], fields: Sequence[str],
                 mapped: Mapping[str, str] | None = None) -> dict[str, str]:
    """The helper's kind for each of `fields` that has a value in the batch: the mapped type's
    (`mapped`: field -> Elasticsearch type), else k (keyword), l (long) or d (double) from the values."""
    result = {}
    for field in fields:
        kind = MAPPED_KINDS.get(mapped.get(field, "")) if mapped else None
        if kind is not None:
            if any(_values(e.get(field)) for e in events):
                result[field] = kind
            continue
        types: set = set()
        for value in [e.get(field) for e in events]:
            if type(value) is list or type(value) is tuple:
                types.update(map(type, value))
            else:
                types.add(type(value))
        types.discard(type(None))
        if not types:
            continue
        odd = [t for t in types if t not in (str, bool, int, float)]
        if odd:
            raise ExecutionError(
                f"field {field!r}: a {odd[0].__name__} value cannot be indexed as a keyword or number "
                "(events must be flattened to dotted paths)"
            )
        if types <= {int}:
            result[field] = "l"
        elif types <= {int, float}:
            result[field] = "d"
        else:
            result[field] = "k"
    return result


def _text(v: Any, kind: str, field: str = "") -> str:
    """A value as the helper reads it for a field of `kind` (module docstring: coercion)."""
    if isinstance(v, bool):
        if kind in "ldfi":
            raise ExecutionError(f"field {field!r}: the boolean {v!r} cannot be indexed in a {_KIND_NAMES[kind]} field")
        return "true" if v else "false"
    if kind in "ktp":
        return str(v)
    if kind == "i":
        try:
            return str(ipaddress.ip_address(str(v).strip()))
        except ValueError:
            raise ExecutionError(f"field {field!r}: {v!r} is not an IP address (an ip field)") from None
    try:
        number = float(v) if isinstance(v, str) else v
        if not isinstance(number, (int, float)) or number != number or number in (float("inf"), float("-inf")):
            raise ValueError
        if kind == "l":
            return str(int(v)) if isinstance(v, int) else str(int(number))  # coerce: a fraction is truncated
        return repr(float(number))
    except (ValueError, TypeError, OverflowError):
        raise ExecutionError(f"field {field!r}: {v!r} is not a number (a {_KIND_NAMES[kind]} field)") from None


_KIND_NAMES = {"k": "keyword", "l": "long", "d": "double", "f": "float", "i": "ip", "t": "text", "p": "text"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


def encode_queries(queries: Sequence[str], ask_fields: bool = False) -> bytes:
    """The helper's first lines: one per query, then `?` to ask which fields they read."""
    lines = ["Q\t" + _escape(q) for q in queries] + (["?"] if ask_fields else [])
    return ("\n".join(lines) + "\n").encode("utf-8")


def encode_events(events: Sequence[Event], only: set[str] | None = None, chunk: int = 5000,
                  mapped: Mapping[str, str] | None = None) -> Iterator[bytes]:
    """Each event's values (of the fields in `only`, when given), each event closed by `.`,
    in chunks of `chunk` events, so that the helper indexes while the rest is encoded;
    `mapped` gives fields their Elasticsearch type (module docstring)."""
    if only is None:
        fields = sorted({f for e in events for f in e})
    else:
        fields = sorted(only)
    types = _field_types(events, fields, mapped)
    plan = [(f, "F\t" + _escape(f) + "\t" + types[f] + "\t", types[f]) for f in fields if f in types]
    for start in range(0, len(events), chunk):
        out: list[str] = []
        append = out.append
        for event in events[start:start + chunk]:
            for field, head, kind in plan:
                value = event.get(field)
                if value is None:
                    continue
                if kind == "k" and type(value) is str:
                    append(head + _escape(value))
                    continue
                for v in (value if type(value) is list else _values(value)):
                    if v is None:
                        continue
                    append(head + _escape(v if kind == "k" and type(v) is str else _text(v, kind, field)))
            append(".")
        append("")
        yield "\n".join(out).encode("utf-8")


def encode_batch(queries: Sequence[str], events: Sequence[Event], mapped: Mapping[str, str] | None = None) -> bytes:
    """The helper's whole stdin when every field is sent."""
    return encode_queries(queries) + b"".join(encode_events(events, mapped=mapped))


class LuceneExecutor(Executor):
    """Elasticsearch query_string over keyword fields, run by Lucene (semantics: module docstring)."""

    name = "lucene"
    engine = f"Apache Lucene {J.LUCENE_VERSION} (as in Elasticsearch 8.x), classic query parser"

    def __init__(self, jar_dir: Path | None = None, cache_dir: Path | None = None,
                 field_types: Mapping[str, str] | None = None):
        """`field_types`: field -> Elasticsearch type, as the index mappings declare them (fields
        not named are typed by their values; module docstring)."""
        self.jar_dir = Path(jar_dir) if jar_dir is not None else J.lucene_home()
        self.cache_dir = cache_dir
        self.field_types = dict(field_types or {})

    def _jars(self) -> list[Path]:
        return J.installed_jars(self.jar_dir)

    def unavailable(self) -> str | None:
        for tool in ("java", "javac", "jar"):
            if shutil.which(tool) is None:
                return f"{tool} is not installed (Debian package default-jdk-headless; `make engines` installs it as root)"
        try:
            self._jars()
        except FileNotFoundError as exc:
            return f"Lucene {J.LUCENE_VERSION} is not installed ({exc} is missing): run {J.INSTALL_COMMAND}"
        if not HELPER.is_file():
            return f"the Java helper {HELPER} is missing"
        return None

    def engine_version(self) -> str:
        return J.LUCENE_VERSION

    def _classpath(self) -> str:
        return os.pathsep.join(str(p) for p in self._jars())

    def compiled_dir(self) -> Path:
        """Build the helper once per (source, jars) and return its cache directory."""
        reason = self.unavailable()
        if reason:
            raise ExecutionError(f"Lucene is unavailable: {reason}")
        return _compile(HELPER.read_bytes(), tuple(str(p) for p in self._jars()), str(self.cache_dir or ""))

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        result = self.run_many([query], events)[0]
        if isinstance(result, ExecutionError):
            raise result
        return result

    def check_leaves(self, cases: Sequence[tuple[str, bool, str, Sequence[str]]]) -> list[list[bool] | ExecutionError]:
        """Lucene's verdict on each (kind, case_insensitive, pattern, values): kind is `term`,
        `wildcard` or `regexp`, built as Elasticsearch builds them on a keyword field (see the
        helper's leaf mode). A pattern Lucene rejects gives its ExecutionError."""
        if not cases:
            return []
        helper = self.compiled_dir()
        cmd = _java_command(helper, [str(p) for p in self._jars()])
        proc = subprocess.run(cmd, input=encode_leaves(cases), capture_output=True)
        answers = proc.stdout.decode("utf-8", "replace").splitlines()
        if proc.returncode != 0 or len(answers) != len(cases):
            err = proc.stderr.decode("utf-8", "replace").strip()
            raise ExecutionError(f"the Lucene helper failed (exit {proc.returncode}): {err[-2000:]}")
        out: list[list[bool] | ExecutionError] = []
        for (_, _, _, values), line in zip(cases, answers):
            kind, _, rest = line.partition("\t")
            if kind == "R" and len(rest) == len(values):
                out.append([c == "1" for c in rest])
            else:
                out.append(ExecutionError("Lucene rejected the pattern: " + rest))
        return out

    def run_many(self, queries: Sequence[str], events: Sequence[Event]) -> list[list[int] | ExecutionError]:
        """Run several queries over one index; a rejected query gives its ExecutionError.

        The helper first says which fields the queries read, and only those
        are sent and indexed (all of them when a term has no field): an
        event's other fields cannot change a verdict. One helper JVM serves
        every batch of this executor (its start-up would otherwise cost more
        than most batches); a helper that died is started again once.
        """
        if not queries:
            return []
        for attempt in (1, 2):
            server = self._server()
            try:
                answers = server.batch(queries, events, self.field_types)
            except _HelperDied as died:
                self._stop()
                if attempt == 2:
                    limit = f" (its heap is limited to {JVM_HEAP})" if "OutOfMemoryError" in died.stderr else ""
                    raise ExecutionError(f"the Lucene helper failed (exit {died.code}){limit}: "
                                         f"{died.stderr[-2000:]}") from None
                continue
            except BaseException:
                self._stop()  # our own error mid-batch: the helper cannot resynchronise
                raise
            break
        results: list[list[int] | ExecutionError] = []
        for line in answers:
            kind, _, rest = line.partition("\t")
            if kind == "H":
                results.append([int(x) for x in rest.split(",")] if rest else [])
            else:
                results.append(ExecutionError("Lucene rejected the query: " + rest))
        return results

    def _server(self) -> _Server:
        server = getattr(self, "_running", None)
        if server is None or server.pid_owner != os.getpid() or not server.alive():
            helper = self.compiled_dir()
            server = self._running = _Server(_java_command(helper, [str(p) for p in self._jars()]))
        return server

    def _stop(self) -> None:
        server = getattr(self, "_running", None)
        self._running = None
        if server is not None and server.pid_owner == os.getpid():
            server.close()

    def close(self) -> None:
        """End the helper JVM (it also ends by itself when this process exits)."""
        self._stop()


class _HelperDied(Exception):
    def __init__(self, code, stderr: str):
        super().__init__(stderr)
        self.code, self.stderr = code, stderr


class _Server:
    """One helper JVM in serve mode: batches in on stdin (events closed by END), answers out on
    stdout (closed by DONE). stderr goes to a file: the helper must never block on a pipe nobody
    reads while we write."""

    def __init__(self, cmd: list[str]):
        self.pid_owner = os.getpid()
        self.errors = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        self.proc.stdin.write(b"SERVE\n")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _died(self) -> _HelperDied:
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.errors.seek(0)
        return _HelperDied(self.proc.returncode, self.errors.read().decode("utf-8", "replace").strip())

    def _line(self) -> str:
        raw = self.proc.stdout.readline()
        if not raw:
            raise self._died()
        return raw.decode("utf-8", "replace").rstrip("\n")

    def batch(self, queries: Sequence[str], events: Sequence[Event], mapped: Mapping[str, str] | None = None) -> list[str]:
        try:
            self.proc.stdin.write(encode_queries(queries, ask_fields=True))
            self.proc.stdin.flush()
        except OSError:
            raise self._died() from None
        answer = self._line().split("\t")
        if answer[:1] != ["FIELDS"]:
            raise self._died()
        only = None if answer[1:] == ["*"] else {_unescape(f) for f in answer[1:]}
        try:
            for chunk in encode_events(events, only, mapped=mapped):
                self.proc.stdin.write(chunk)  # blocks while the helper catches up: memory stays flat
            self.proc.stdin.write(b"END\n")
            self.proc.stdin.flush()
        except OSError:
            raise self._died() from None
        answers = [self._line() for _ in queries]
        if self._line() != "DONE":
            raise self._died()
        return answers

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.errors.close()


def encode_leaves(cases: Sequence[tuple[str, bool, str, Sequence[str]]]) -> bytes:
    """The helper's stdin in leaf mode: each (kind, case_insensitive, pattern, values)."""
    lines = ["LEAVES"]
    for kind, ci, pattern, values in cases:
        lines.append(f"P\t{kind}\t{1 if ci else 0}\t{_escape(pattern)}")
        lines.extend("V\t" + _escape(v) for v in values)
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


# C1 only and the serial collector: measured fastest on 2 cores for a handful
# of events and for 100,000 alike (C2's compile time never pays back here).
# A fixed heap, whatever the machine's RAM (the JVM's default maximum is a
# quarter of it, for each helper of each worker): a batch's index of 100,000
# events fits in 128 MB, and the helper peaks at ~170 MB RSS over the whole
# corpus proof. A batch that outgrows it ends the helper at once (no GC
# thrashing), reported as the helper's failure naming the limit.
JVM_HEAP = "512m"
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
               "-XX:+DisplayVMOutputToStderr")  # the VM's own messages never mix with the answers on stdout
HELPER_FORMAT = "v3"  # bump when the cache directory's layout changes
HELPER_JAR = "ruleport-lucene.jar"
CDS_ARCHIVE = "ruleport-lucene.jsa"
# A tiny batch run once after compiling, to record the classes a run loads.
_WARM_UP = "Q\ta:b\nQ\ta:b*\nQ\t-a:/b./\nQ\t_exists_:a\nQ\tn:[1 TO 2]\nF\ta\tk\tb\nF\tn\tl\t1\n.\n"


def _java_command(helper: Path, jars: Sequence[str]) -> list[str]:
    """The java command line; the class-data archive, when present, halves the JVM's start-up."""
    cmd = ["java", *JVM_OPTIONS, f"-Xmx{JVM_HEAP}"]
    if (helper / CDS_ARCHIVE).is_file():
        cmd += [f"-XX:SharedArchiveFile={helper / CDS_ARCHIVE}", "-Xshare:auto"]
    return cmd + ["-cp", os.pathsep.join([str(helper / HELPER_JAR), *jars]), MAIN_CLASS]


def _record_archive(helper: Path, jars: Sequence[str]) -> None:
    """Record the classes a run loads (Java's class-data sharing). It only speeds
    start-up, and the class path must be the final one, so it is made in place
    after the build; failing to write it is not an error."""
    if (helper / CDS_ARCHIVE).is_file():
        return
    partial = helper / f"{CDS_ARCHIVE}.{os.getpid()}"
    cmd = _java_command(helper, jars)
    cmd.insert(1, f"-XX:ArchiveClassesAtExit={partial}")
    proc = subprocess.run(cmd, input=_WARM_UP.encode(), capture_output=True)
    if proc.returncode == 0 and partial.is_file():
        os.replace(partial, helper / CDS_ARCHIVE)
    else:
        partial.unlink(missing_ok=True)


@lru_cache(maxsize=None)
def _compile(source: bytes, jars: tuple[str, ...], cache_dir: str) -> Path:
    """Compile and jar the helper, and record a class-data archive, once per (source, jars)."""
    # the JDK's real path names its version: another JDK builds its own helper
    jdk = os.path.realpath(shutil.which("javac") or "javac")
    digest = hashlib.sha256(source + "\0".join((jdk, *jars)).encode()).hexdigest()[:16]
    roots: Iterable[Path] = [Path(cache_dir)] if cache_dir else [J.cache_root(), Path(tempfile.gettempdir()) / "ruleport-cache"]
    last_error: Exception | None = None
    for root in roots:
        target = root / f"lucene-helper-{HELPER_FORMAT}-{digest}"
        if (target / HELPER_JAR).is_file():
            return target
        try:
            root.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="lucene-helper-", dir=root))
        except OSError as exc:
            last_error = exc
            continue
        classes = work / "classes"
        src = work / f"{MAIN_CLASS}.java"
        src.write_bytes(source)
        proc = subprocess.run(
            ["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", os.pathsep.join(jars), str(src)],
            capture_output=True,
        )
        if proc.returncode == 0:
            # a jar, not a directory: Java's class-data sharing accepts only jars on the class path
            proc = subprocess.run(["jar", "cf", str(work / HELPER_JAR), "-C", str(classes), "."], capture_output=True)
        if proc.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise ExecutionError("cannot build the Lucene helper: " + proc.stderr.decode("utf-8", "replace")[-2000:])
        try:
            os.replace(work, target)  # atomic: a concurrent build of the same source wins or loses whole
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
            if not (target / HELPER_JAR).is_file():
                raise
        _record_archive(target, jars)
        return target
    raise ExecutionError(f"no writable cache directory for the Lucene helper: {last_error}")
