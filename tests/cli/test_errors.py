"""Every user error the CLI can meet ends in one clear line and exit 2 (or 1 for bad rules), never a traceback.

The walk runs each case through `main()` in-process (an exception escaping main fails the
test with its traceback) and a sample through the installed command as a real process.
I/O failures are real ones: /proc refuses new files, a path that is a directory or whose
parent is a file, a file size limit (RLIMIT_FSIZE: the write fails with EFBIG as it would
with ENOSPC on a full disk), and stdout on /dev/full.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from converters.cli import main
from tests.support import SEED_EVENTS, SEED_RULE

RULEPORT = Path(sys.executable).parent / "ruleport"
SEED = str(SEED_RULE)


@pytest.fixture
def place(tmp_path):
    """Names the cases use: a file where a folder is wanted, a folder where a file is wanted, bad inputs."""
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "bad.jsonl").write_text('{"a":\n')
    (tmp_path / "bad-expect.json").write_text("nope")
    (tmp_path / "ok.jsonl").write_text("{}\n")
    return tmp_path


# (argv with {tmp} for the fixture folder, exit code, text the one error line must hold)
CASES = [
    ([], 2, "the following arguments are required: COMMAND"),
    (["validat", "rules"], 2, "unknown command 'validat' (did you mean validate?); known commands: validate,"),
    (["validate"], 2, "the following arguments are required: PATH"),
    (["validate", "{tmp}/nope"], 2, "no such file or directory: {tmp}/nope"),
    (["validate", "{tmp}/a-fil"], 2, "no such file or directory: {tmp}/a-fil (did you mean {tmp}/a-file?)"),
    (["validate", SEED, "--format", "sarf"], 2, "argument --format: unknown value 'sarf' (did you mean sarif?)"),
    (["validate", SEED, "--formt", "json"], 2, "unrecognized arguments: --formt (did you mean --format?)"),
    (["validate", SEED, "--min-severity", "warn"], 2, "unknown value 'warn' (did you mean warning?)"),
    (["validate", SEED, "--fail-on", "never"], 2, "argument --fail-on: unknown value 'never'"),
    (["validate", SEED, "--jobs", "x"], 2, "invalid int value: 'x'"),
    (["validate", SEED, "--jobs", "-1"], 2, "--jobs must be 0 or more"),
    (["validate", SEED, "--config", "{tmp}/a-folder"], 2, "no such configuration file: {tmp}/a-folder"),
    (["validate", "{tmp}/a-folder", "--changed-since", "HEAD"], 2,
     "--changed-since needs a git repository, and {tmp}/a-folder is not in one"),
    (["validate", SEED, "-o", "/proc/x/y.sarif"], 2, "cannot write /proc/x/y.sarif: No such file or directory"),
    (["validate", SEED, "-o", "{tmp}/a-folder"], 2, "cannot write {tmp}/a-folder: it is a directory"),
    (["validate", SEED, "-o", "{tmp}/a-file/y.sarif"], 2,
     "cannot write {tmp}/a-file/y.sarif: {tmp}/a-file is a file, not a directory"),
    (["convert", "{tmp}/nope.toml"], 2, "no such file or directory: {tmp}/nope.toml"),
    (["convert", SEED, "--target", "splnk"], 2, "unknown target 'splnk' (did you mean splunk?); known targets: sigma,"),
    (["convert", SEED, "--target", "sigma", "--out", "/proc/x"], 2,
     "cannot create the directory /proc/x: No such file or directory"),
    (["convert", SEED, "--target", "sigma", "--out", "{tmp}/a-file"], 2,
     "cannot write to {tmp}/a-file: it is a file, not a directory"),
    (["convert", SEED, "--target", "sigma", "--out", "{tmp}/a-file/out"], 2,
     "cannot create the directory {tmp}/a-file/out: {tmp}/a-file is a file, not a directory"),
    (["convert", SEED, "--format", "yaml"], 2, "argument --format: unknown value 'yaml'"),
    (["targets", "--format", "jsn"], 2, "unknown value 'jsn' (did you mean json?)"),
    (["test", SEED], 2, "the following arguments are required: --events"),
    (["test", SEED, "--events", "{tmp}/nope.jsonl"], 2, "no such file or directory: {tmp}/nope.jsonl"),
    (["test", SEED, "--events", "{tmp}/bad.jsonl"], 2, "{tmp}/bad.jsonl:1: not valid JSON"),
    (["test", SEED, "--events", "{tmp}/a-folder"], 2, "{tmp}/a-folder: cannot read events: Is a directory"),
    (["test", SEED, "--events", "{tmp}/ok.jsonl", "--expect", "{tmp}/bad-expect.json"], 2,
     "{tmp}/bad-expect.json:1: not valid JSON"),
    (["test", SEED, "--events", "{tmp}/ok.jsonl", "--target", "splnk"], 2,
     "unknown target 'splnk' (did you mean splunk?); known targets: sigma,"),
    (["prove", SEED, "--target", "splnk"], 2, "unknown target 'splnk' (did you mean splunk?); known targets: sigma,"),
    (["prove", SEED, "--target", "sigma", "--out", "/proc/x"], 2,
     "cannot create the directory /proc/x: No such file or directory"),
    (["prove", "{tmp}/nope"], 2, "no such file or directory: {tmp}/nope"),
    (["convert", SEED, "--jobs", "-2"], 2, "--jobs must be 0 (the CPU count) or a positive number"),
]


def _argv(argv: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in argv]


@pytest.mark.parametrize("argv, code, expected", CASES, ids=[" ".join(c[0]) or "(nothing)" for c in CASES])
def test_every_error_path_is_one_line_without_a_traceback(place, capsys, argv, code, expected):
    try:
        got = main(_argv(argv, place))
    except SystemExit as exc:          # argparse's own errors: usage, then one error line
        got = exc.code
    out, err = capsys.readouterr()
    assert got == code
    assert out == ""
    lines = [line for line in err.splitlines() if line and not line.startswith(("usage:", " "))]
    assert len(lines) == 1, err
    assert lines[0].startswith(("ruleport: error: ", "ruleport validate: error: ", "ruleport convert: error: ",
                                "ruleport targets: error: ", "ruleport test: error: ", "ruleport prove: error: "))
    assert expected.replace("{tmp}", str(place)) in lines[0]


def test_a_sample_of_error_paths_through_the_installed_command(place):
    sample = [c for c in CASES if c[0][:1] == ["validat"] or "/proc/x/y.sarif" in c[0] or "splnk" in c[0]
              or "{tmp}/bad.jsonl" in c[0]]
    assert len(sample) == 6
    for argv, code, expected in sample:
        proc = subprocess.run([str(RULEPORT), *_argv(argv, place)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == code, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert expected.replace("{tmp}", str(place)) in proc.stderr


def _limit_file_size():
    # writes beyond 100 bytes fail with EFBIG, as they would with ENOSPC on a full disk
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))


def test_a_full_disk_fails_in_one_line_and_keeps_the_old_file(tmp_path):
    report = tmp_path / "report.sarif"
    report.write_text("the old report\n")
    proc = subprocess.run([str(RULEPORT), "validate", SEED, "--format", "sarif", "-o", str(report)],
                          capture_output=True, text=True, preexec_fn=_limit_file_size, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == f"ruleport: error: cannot write {report}: File too large\n"
    assert report.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif"]      # no temporary file left


def test_a_full_disk_under_convert_out_leaves_no_half_written_file(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([str(RULEPORT), "convert", SEED, "--target", "sigma", "--out", str(out)],
                          capture_output=True, text=True, preexec_fn=_limit_file_size, timeout=120)
    assert proc.returncode == 2
    target = out / "sigma" / "execution_nodejs_susp_patterns.yml"
    assert proc.stderr.splitlines()[-1] == f"ruleport: error: cannot write {target}: File too large"
    assert "Traceback" not in proc.stderr
    assert not target.exists() and os.listdir(target.parent) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [["validate", SEED, "--format", "json"],
                                  ["convert", SEED, "--target", "sigma", "--format", "json"],
                                  ["targets"],
                                  ["test", SEED, "--events", str(SEED_EVENTS), "--target", "sigma", "--format", "json"]])
def test_stdout_on_a_full_disk_is_one_line(argv):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(RULEPORT), *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert "ruleport: error: cannot write to standard output: No space left on device" in proc.stderr


def test_a_reader_that_goes_away_is_not_an_error():
    proc = subprocess.run(f"'{RULEPORT}' targets | head -c 10", shell=True, capture_output=True, text=True)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "Exception" not in proc.stderr
