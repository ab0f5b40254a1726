#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml at the repository root), as a script that runs, and is
# tested (tests/cli/test_action.py), outside GitHub too.
#
#   scripts/action.sh install    make a virtual environment and `pip install` ruleport from the
#                                action's own checkout (never from the rules repository: `pip install .`
#                                there fails with "Directory '.' is not installable")
#   scripts/action.sh validate   run `ruleport validate` with the action's inputs
#
# Inputs come as environment variables (a composite action passes them explicitly):
#   INPUT_PATHS          rule files or folders, separated by spaces or newlines (default: rules)
#   INPUT_FORMAT         github (annotations on the diff), text, json or sarif (default: github)
#   INPUT_CHANGED_SINCE  a git ref; "auto" (default): the pull request's base branch on pull_request
#                        events (fetched when the clone lacks it), every rule on other events; "" every rule
#   INPUT_MIN_SEVERITY   info, warning or error: what is reported (default: info)
#   INPUT_FAIL_ON        info, warning or error: what fails the step (default: error)
#   INPUT_SARIF_FILE     also write SARIF 2.1.0 to this file, for github/codeql-action/upload-sarif
#   INPUT_CONFIG         a pyproject.toml with [tool.ruleport] (default: the nearest one above the paths)
# and GitHub's own: GITHUB_ACTION_PATH, GITHUB_BASE_REF, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
# RULEPORT_VENV (default: $RUNNER_TEMP/ruleport-venv; reused when it exists), RULEPORT_PYTHON and
# RULEPORT_PIP_ARGS adjust the install; RULEPORT names the command to run.
set -euo pipefail

ACTION_PATH="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
VENV="${RULEPORT_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/ruleport-venv}"

log() { echo "ruleport action: $*" >&2; }

install() {
    local python="${RULEPORT_PYTHON:-python3}"
    # an environment that exists already (restored by actions/cache, say) is reused
    [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
    # shellcheck disable=SC2086 # RULEPORT_PIP_ARGS is a list of options
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ${RULEPORT_PIP_ARGS:-} "$ACTION_PATH"
    "$VENV/bin/ruleport" --version
}

# The ref to compare with, or nothing (check every rule).
changed_since() {
    local wanted="${INPUT_CHANGED_SINCE-auto}" ref base
    if [ "$wanted" != auto ]; then
        printf '%s' "$wanted"
        return
    fi
    [ -n "${GITHUB_BASE_REF:-}" ] || return 0          # not a pull request: every rule
    ref="origin/$GITHUB_BASE_REF"
    if ! git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
        # actions/checkout fetches one commit by default; the base's tree is all the comparison needs
        log "fetching $GITHUB_BASE_REF (the clone does not have $ref)"
        git fetch --quiet --no-tags --depth=1 origin \
            "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" >&2 || true
    fi
    # with the history at hand, compare with where the branch left the base: changes merged into
    # the base since then are not the pull request's
    if base=$(git merge-base "$ref" HEAD 2>/dev/null); then
        printf '%s' "$base"
    else
        printf '%s' "$ref"            # ruleport says what to fetch if even this is missing
    fi
}

validate() {
    local ruleport="${RULEPORT:-$VENV/bin/ruleport}"
    [ -x "$ruleport" ] || ruleport=ruleport
    local paths
    set -f                                  # split on whitespace, never glob
    # shellcheck disable=SC2206
    paths=(${INPUT_PATHS:-rules})
    set +f
    local args=(validate "${paths[@]}" --min-severity "${INPUT_MIN_SEVERITY:-info}"
                --fail-on "${INPUT_FAIL_ON:-error}")
    [ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
    local since
    since=$(changed_since)
    [ -z "$since" ] || args+=(--changed-since "$since")

    local status=0 errors
    errors=$(mktemp)
    if [ -n "${INPUT_SARIF_FILE:-}" ]; then
        "$ruleport" "${args[@]}" --format sarif --output "$INPUT_SARIF_FILE" 2>"$errors" || status=$?
        cat "$errors" >&2
        if [ "$status" -ge 2 ]; then rm -f "$errors"; exit "$status"; fi
        [ -z "${GITHUB_OUTPUT:-}" ] || echo "sarif-file=$INPUT_SARIF_FILE" >>"$GITHUB_OUTPUT"
        status=0
    fi
    "$ruleport" "${args[@]}" --format "${INPUT_FORMAT:-github}" 2>"$errors" || status=$?
    cat "$errors" >&2
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        { echo "### ruleport validate"; echo; tail -n 1 "$errors"; } >>"$GITHUB_STEP_SUMMARY"
    fi
    rm -f "$errors"
    exit "$status"
}

case "${1:-}" in
    install) install ;;
    validate) validate ;;
    *) echo "usage: $0 install|validate" >&2; exit 2 ;;
esac
