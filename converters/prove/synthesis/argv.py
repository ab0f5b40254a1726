"""A process's arguments and its command line, each derived from the other the way its OS does.

Windows: the command line is split as CommandLineToArgvW splits it
(learn.microsoft.com, "Parsing C++ command-line arguments"): whitespace
separates arguments outside double quotes; `2n` backslashes before a quote
give `n` backslashes and the quote delimits; `2n+1` give `n` and a literal
quote; other backslashes are literal. Joining quotes an argument holding
whitespace or a quote (or an empty one) so that the split gives it back.

Linux and macOS: argv is what the process got; ECS's command line is the
arguments joined by spaces, and synthesis quotes an argument as a POSIX
shell would have to (double quotes, `\\` before `"` and `\\`) so that
`shlex.split` gives the arguments back.
"""

from __future__ import annotations

import shlex


def split(line: str, os: str) -> list[str] | None:
    """The arguments of a command line (None: a POSIX line with an unclosed quote)."""
    if os == "windows":
        return _windows_split(line)
    try:
        return shlex.split(line)
    except ValueError:
        return None


def join(args: list[str], os: str) -> str | None:
    """The command line whose split is `args` (None when no quoting can give them back)."""
    if os == "windows":
        if not args or '"' in args[0]:
            return None
        head = f'"{args[0]}"' if any(c in " \t" for c in args[0]) or not args[0] else args[0]
        line = " ".join([head] + [_windows_quote(a) for a in args[1:]])
    else:
        line = " ".join(_posix_quote(a) for a in args)
    return line if split(line, os) == args else None


def _posix_quote(arg: str) -> str:
    if arg and not any(c.isspace() or c in "\"'\\" for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _windows_quote(arg: str) -> str:
    if arg and not any(c in ' \t\n\v"' for c in arg):
        return arg
    out, slashes = ['"'], 0
    for c in arg:
        if c == "\\":
            slashes += 1
            continue
        if c == '"':
            out.append("\\" * (2 * slashes + 1) + '"')
        else:
            out.append("\\" * slashes + c)
        slashes = 0
    out.append("\\" * (2 * slashes) + '"')
    return "".join(out)


def _windows_split(line: str) -> list[str]:
    i, n = 0, len(line)
    # the program name ends at the first blank outside quotes; no backslash rules
    name, quoted = [], False
    while i < n and (quoted or line[i] not in " \t"):
        if line[i] == '"':
            quoted = not quoted
        else:
            name.append(line[i])
        i += 1
    args = ["".join(name)]
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        current, quoted = [], False
        while i < n and (quoted or line[i] not in " \t"):
            c = line[i]
            if c == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and line[j] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        i = j + 1
                    else:
                        i = j
                    continue
                current.append("\\" * count)
                i = j
                continue
            if c == '"':
                quoted = not quoted
            else:
                current.append(c)
            i += 1
        args.append("".join(current))
