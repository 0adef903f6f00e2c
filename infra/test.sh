#!/usr/bin/env bash
# The Workers test command: start the real services, run every test project in
# Workers.sln against them, stop the services, and summarise the .trx results.
#
#   ./infra/test.sh [extra dotnet test args, e.g. --filter FullyQualifiedName~Sql]
#
# The very last line printed is "N passed, N failed". The exit code is non-zero
# when the services cannot start, dotnet test fails, any test fails, or no test
# ran at all.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export WORKERS_RUN_DIR="${WORKERS_RUN_DIR:-$REPO_ROOT/.run}"
mkdir -p "$WORKERS_RUN_DIR"
WORKERS_RUN_DIR="$(cd "$WORKERS_RUN_DIR" && pwd)"
RESULTS_DIR="$WORKERS_RUN_DIR/TestResults"
SERVICES="$REPO_ROOT/infra/services.sh"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Always stop the services, whatever happens. Its output goes to a log so that
# nothing is printed after the summary line.
# shellcheck disable=SC2317  # invoked by the trap
cleanup() { "$SERVICES" stop >>"$WORKERS_RUN_DIR/services-stop.log" 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== starting test services (CI=${CI:-false})"
if ! "$SERVICES" start; then
  echo "test.sh: the test services failed to start; see the log lines above and $WORKERS_RUN_DIR" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$WORKERS_RUN_DIR/services.env"

rm -rf "$RESULTS_DIR"
echo "== dotnet test Workers.sln -c Release $*"
DOTNET_LOG="$WORKERS_RUN_DIR/dotnet-test.log"
set +e
dotnet test Workers.sln -c Release --logger "trx;LogFilePrefix=r" --results-directory "$RESULTS_DIR" "$@" 2>&1 |
  tee "$DOTNET_LOG"
dotnet_rc=${PIPESTATUS[0]}
set -e

echo "== stopping test services"
"$SERVICES" stop || true

# Sum the <Counters> of every .trx. Prints one line per test assembly, then a
# last line "passed failed executed files" for this script to read.
report="$(python3 - "$RESULTS_DIR" <<'PY'
import glob, os, re, sys
import xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True))
tot = {"passed": 0, "failed": 0, "executed": 0}

def n(counters, name):
    return int(counters.get(name, 0) or 0)

for path in files:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"  {os.path.basename(path)}: unreadable trx ({e})")
        tot["failed"] += 1
        continue
    c = root.find("t:ResultSummary/t:Counters", ns)
    if c is None:
        print(f"  {os.path.basename(path)}: no <Counters> element")
        tot["failed"] += 1
        continue
    # Name the run by the test assemblies it loaded (codeBase keeps the case).
    dlls = sorted({os.path.basename(m.get("codeBase") or m.get("storage") or "")
                   for m in root.iterfind(".//t:UnitTest/t:TestMethod", ns)} - {""})
    if not dlls:  # no test ran: the xunit adapter's or vstest's messages still name it
        text = " ".join(e.text or "" for e in root.iter())
        m = re.search(r"No test is available in (\S+\.dll)", text) or re.search(r"Discovering: (\S+)", text)
        dlls = [os.path.basename(m.group(1)) + ("" if m.group(1).endswith(".dll") else ".dll")] if m else []
    name = ", ".join(dlls) or os.path.basename(path)
    failed = sum(n(c, k) for k in ("failed", "error", "timeout", "aborted"))
    total, executed, passed = n(c, "total"), n(c, "executed"), n(c, "passed")
    print(f"  {name}: {passed} passed, {failed} failed, {max(total - executed, 0)} not run"
          f" (total {total}, executed {executed})")
    tot["passed"] += passed
    tot["failed"] += failed
    tot["executed"] += executed

print(tot["passed"], tot["failed"], tot["executed"], len(files))
PY
)"
read -r passed failed executed trx_count <<<"${report##*$'\n'}"
body="${report%$'\n'*}"
[[ "$body" == "$report" ]] && body=""   # no assembly lines at all

echo "== results ($trx_count trx file(s) in $RESULTS_DIR)"
[[ -n "$body" ]] && printf '%s\n' "$body"
# The trx name has one-second resolution; two test projects finishing in the
# same second would overwrite each other. A failure still fails dotnet test,
# but the counts above would be short: say so.
announced="$(grep -c 'Results File: .*\.trx' "$DOTNET_LOG" || true)"
if ((announced > trx_count)); then
  echo "WARNING: dotnet test announced $announced trx files but $trx_count exist (name collision): counts are incomplete"
fi

rc=0
if [[ "$dotnet_rc" != 0 ]]; then
  echo "dotnet test exited with code $dotnet_rc"
  rc=1
fi
if [[ "$failed" != 0 ]]; then
  echo "$failed test(s) failed"
  rc=1
fi
if [[ "$executed" == 0 ]]; then
  echo "NO TESTS EXECUTED: no test ran (build failure, empty test projects, or a filter that matched nothing)"
  rc=1
fi
echo "$passed passed, $failed failed"
exit "$rc"
