"""Lexical layer of SPL: the pipeline split, search tokens and quoted strings.

Rules (Splunk's Search Manual): a `|` outside double quotes and backticks
separates commands; inside a quoted string `\\\\` is one backslash and `\\"`
a quote, and any other backslash stays as written. Text between triple
backticks outside quotes is a comment (Search Manual, "Add comments to
searches", Splunk 8.2+) and reads as a space. A `[ ... ]` subsearch
stays whole inside its command (its pipes do not split); the commands that
take subsearches (multisearch, append) read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from converters.engine.executor import ExecutionError


@dataclass(frozen=True)
class Tok:
    kind: str   # "word" "string" "op" "(" ")" ","
    text: str   # as written (strings keep their quotes)


def split_pipeline(text: str) -> list[tuple[bool, str]]:
    """Split SPL on top-level pipes: [(preceded_by_a_pipe, command text)]."""
    stages: list[tuple[bool, str]] = []
    buf: list[str] = []
    piped = False
    i, n = 0, len(text)
    quote = None
    depth = 0
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
        elif text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise ExecutionError("SPL: unclosed ``` comment")
            buf.append(" ")
            i = end + 3
            continue
        elif c in '"`':
            quote = c
            buf.append(c)
        elif c in "[]":
            depth += 1 if c == "[" else -1
            if depth < 0:
                raise ExecutionError("SPL: unbalanced ]")
            buf.append(c)
        elif c == "|" and depth:
            buf.append(c)
        elif c == "|":
            stage = "".join(buf).strip()
            if stage or stages or piped:
                if not stage:
                    raise ExecutionError("SPL: empty command between pipes")
                stages.append((piped, stage))
            piped, buf = True, []
        else:
            buf.append(c)
        i += 1
    if quote:
        raise ExecutionError(f"SPL: unclosed {quote} quote")
    if depth:
        raise ExecutionError("SPL: unclosed [ subsearch")
    stage = "".join(buf).strip()
    if stage:
        stages.append((piped, stage))
    elif piped:
        raise ExecutionError("SPL: the query ends with a pipe")
    return stages


_QUOTED_ESC = re.compile(r'\\([\\"])')


def unescape(text: str) -> str:
    """Splunk's quoted-string unescaping: only \\\\ and \\" are escapes."""
    return _QUOTED_ESC.sub(r"\1", text)


_OPS = ("!=", "<=", ">=", "==", "=", "<", ">")
_WORD_STOP = set(' \t\r\n()",=<>')


def tokenize(text: str) -> list[Tok]:
    """Tokens of a search-command expression (CASE(...)/TERM(...) stay one word)."""
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            toks.append(Tok(c, c))
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ExecutionError("SPL: unclosed quoted string")
            toks.append(Tok("string", text[i:j + 1]))
            i = j + 1
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op:
            toks.append(Tok("op", op))
            i += len(op)
            continue
        j = i
        while j < n and text[j] not in _WORD_STOP and not text.startswith("!=", j):
            j += 2 if text[j] == "\\" and j + 1 < n and text[j + 1] in '\\"' else 1
        word = text[i:j]
        if word.upper() in ("CASE", "TERM") and j < n and text[j] == "(":
            j = _closing_paren(text, j)
            word = text[i:j]
        toks.append(Tok("word", word))
        i = j
    return toks


def _closing_paren(text: str, start: int) -> int:
    depth, j, n = 0, start, len(text)
    while j < n:
        c = text[j]
        if c == '"':
            j += 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ExecutionError("SPL: unclosed CASE( or TERM(")
