"""The mutation check: every curated breakage (tests/mutations/mutants.py) must be caught.

    python tests/mutations/run.py [--jobs N] [--only ID ...] [--list] [--keep] [--source head]

1. The repository (the files git lists: tracked and untracked-but-not-ignored, as they are in
   the working tree; ``--source head``: tracked files as committed) is copied into a
   temporary directory.
2. Every mutant's ``old`` text must occur exactly once in its file there (else exit 1 before
   any test runs: the list cannot rot silently), and its ids must be unique.
3. The tests run with cwd = the copy, ``PYTHONPATH=<copy>/pyclient`` (so an installed
   editable calibcert is not the one imported; checked) and ``CALIBCERT_TEST_INSTALL=sql``
   (so the test databases are built from the copy's sql/, not from the frozen migrations a
   change to sql/ does not reach).
4. Baseline: the union of every mutant's tests must pass on the unmutated copy.
5. Each mutant is applied to a copy (one per job, restored after each run) and its tests run
   with ``pytest -x``: a failure is KILLED, a pass SURVIVED; a run that hangs past
   ``--timeout`` is TIMEOUT (tests must fail, not hang), any other pytest outcome ERROR.

Prints the kill table and exits 0 only if every mutant was KILLED. PostgreSQL servers the
runs start live under the run's own temporary directory; any left behind by a stopped run
is stopped (by pid) before the next one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import MUTANTS, Mutant  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTEST_ARGS = ("-x", "-q", "-p", "no:cacheprovider")


@dataclass
class Outcome:
    mutant: Mutant | None
    result: str
    seconds: float
    caught_by: str = ""
    output: str = ""


# -- the list -----------------------------------------------------------------------------


def check_list(mutants: tuple[Mutant, ...], root: Path) -> list[str]:
    """Problems with the mutant list: duplicate ids, patterns not found exactly once."""
    problems = []
    seen: set[str] = set()
    for m in mutants:
        if m.id in seen:
            problems.append(f"{m.id}: duplicate id")
        seen.add(m.id)
        if m.old == m.new:
            problems.append(f"{m.id}: old and new are the same text")
        if not m.tests:
            problems.append(f"{m.id}: no tests selected")
        path = root / m.file
        if not path.is_file():
            problems.append(f"{m.id}: {m.file} does not exist")
            continue
        n = path.read_text().count(m.old)
        if n != 1:
            problems.append(f"{m.id}: pattern found {n} times in {m.file} (must be exactly once)")
    return problems


# -- copies and runs ----------------------------------------------------------------------


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True).stdout


#: What is copied when the checkout is not a git work tree (``--source worktree`` only).
FALLBACK = ("pyproject.toml", "README.md", "sql", "pyclient", "tests", "migrations", "bench",
            "docs")


def make_copy(root: Path, dest: Path, source: str) -> None:
    """The files git lists (tracked, and untracked but not ignored): as they are in the
    working tree (``worktree``), or tracked ones as committed in HEAD (``head``: other
    people's uncommitted edits stay out; untracked files still come from the tree)."""
    dest.mkdir(parents=True)
    try:
        if source == "head":
            archive = subprocess.Popen(["git", "archive", "HEAD"], cwd=root,
                                       stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
            if archive.wait() != 0:
                raise RuntimeError("git archive HEAD failed")
            listed = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
        else:
            listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        if source == "head":
            raise
        for name in FALLBACK:  # not a git work tree: the project's own directories
            if (root / name).is_dir():
                shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns(
                    "__pycache__", "*.pyc", ".pytest_cache", "*.egg-info"))
            elif (root / name).is_file():
                shutil.copy2(root / name, dest / name)
        return
    for f in (f for f in listed.decode().split("\0") if f and (root / f).is_file()):
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f, target)


def env_for(copy: Path, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CALIBCERT_URL", None)
    env["PYTHONPATH"] = str(copy / "pyclient")
    env["CALIBCERT_TEST_INSTALL"] = "sql"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a mutated module must never meet a stale .pyc
    env["TMPDIR"] = str(tmp)  # servers and scratch files of this run live here
    return env


def check_imports_from_copy(copy: Path, tmp: Path) -> str | None:
    """None if calibcert and its sql/ are the copy's, else the problem."""
    probe = ("import calibcert, calibcert.schema as s; "
             "print(calibcert.__file__); print(s.sql_dir())")
    res = subprocess.run([sys.executable, "-c", probe], cwd=copy, env=env_for(copy, tmp),
                         capture_output=True, text=True)
    if res.returncode != 0:
        return f"cannot import calibcert in the copy: {res.stderr.strip()}"
    module, sql = (Path(p).resolve() for p in res.stdout.split())
    if not module.is_relative_to(copy.resolve()) or not sql.is_relative_to(copy.resolve()):
        return f"calibcert imported from {module} (sql/ {sql}), not from the copy {copy}"
    return None


def _pids_under(tmp: Path) -> list[int]:
    """Processes (PostgreSQL servers) whose command line names a path under ``tmp``."""
    mark = str(tmp).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def stop_leftovers(tmp: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _pids_under(tmp)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _pids_under(tmp):
            time.sleep(0.2)


_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


def run_pytest(copy: Path, tmp: Path, tests: tuple[str, ...], timeout: float
               ) -> tuple[str, float, str, str]:
    """(result, seconds, first failing test, output) of one pytest run in ``copy``."""
    if tmp.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tmp.chmod(0o755)  # the servers' unprivileged account (when we are root) must reach it
    cmd = [sys.executable, "-m", "pytest", *PYTEST_ARGS, f"--basetemp={tmp / 'pytest'}",
           *tests]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=copy, env=env_for(copy, tmp), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        # SIGINT first: pytest then runs its fixtures' teardown (which stops its server).
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        rc = None
    seconds = time.monotonic() - start
    stop_leftovers(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    m = _FAILED.search(out or "")
    caught = m.group(1) if m else ""
    if rc is None:
        return "TIMEOUT", seconds, caught, out
    if rc == 0:
        return "PASSED", seconds, caught, out
    if rc == 1 or (rc == 2 and caught):
        return "FAILED", seconds, caught, out
    return f"ERROR(rc={rc})", seconds, caught, out


class Workers:
    """One copy of the repository per job; a mutant is applied to a free copy and undone."""

    def __init__(self, pristine: Path, base: Path, jobs: int) -> None:
        self.free = []
        for i in range(jobs):
            copy = base / f"copy{i}"
            shutil.copytree(pristine, copy, symlinks=True)
            self.free.append((copy, base / f"tmp{i}"))
        self.lock = threading.Lock()

    def run(self, m: Mutant, timeout: float) -> Outcome:
        with self.lock:
            copy, tmp = self.free.pop()
        path = copy / m.file
        original = path.read_text()
        try:
            if original.count(m.old) != 1:
                return Outcome(m, "ERROR(pattern)", 0.0)
            path.write_text(original.replace(m.old, m.new, 1))
            result, seconds, caught, out = run_pytest(copy, tmp, m.tests, timeout)
        finally:
            path.write_text(original)
            with self.lock:
                self.free.append((copy, tmp))
        verdict = {"FAILED": "KILLED", "PASSED": "SURVIVED"}.get(result, result)
        return Outcome(m, verdict, seconds, caught, out)


# -- the table ----------------------------------------------------------------------------


def short(test: str) -> str:
    return test.removeprefix("tests/")


def print_table(outcomes: list[Outcome]) -> None:
    w_id = max(len(o.mutant.id) for o in outcomes)
    w_file = max(len(o.mutant.file) for o in outcomes)
    w_res = max(len(o.result) for o in [*outcomes, Outcome(None, "RESULT", 0.0)])
    print(f"{'MUTANT':<{w_id}}  {'FILE':<{w_file}}  {'RESULT':<{w_res}}  {'SECS':>5}  DESCRIPTION")
    print(f"{'-' * w_id}  {'-' * w_file}  {'-' * w_res}  {'-' * 5}  {'-' * 11}")
    pad = " " * (w_id + 2)
    for o in outcomes:
        m = o.mutant
        print(f"{m.id:<{w_id}}  {m.file:<{w_file}}  {o.result:<{w_res}}  {o.seconds:5.1f}  "
              f"{m.description}")
        print(f"{pad}tests: {', '.join(short(t) for t in m.tests)}")
        if o.caught_by:
            print(f"{pad}caught by: {short(o.caught_by)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    ap.add_argument("--jobs", type=int, default=1,
                    help="mutants run at once (each pytest session starts its own server)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds a mutant's tests may take before they count as hanging")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--source", choices=("worktree", "head"), default="worktree",
                    help="copy the working tree (default) or HEAD's committed files")
    ap.add_argument("--tests", nargs="+", metavar="NODE",
                    help="(exploring) run these tests for every chosen mutant instead of its own")
    ap.add_argument("--no-baseline", action="store_true",
                    help="(exploring) skip the baseline run; the result does not count")
    ap.add_argument("--verbose", action="store_true",
                    help="print pytest's output for mutants that were not killed")
    args = ap.parse_args(argv)

    mutants = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.id for m in MUTANTS}
        if unknown:
            print(f"mutation check: unknown mutant ids {sorted(unknown)}", file=sys.stderr)
            return 1
        mutants = tuple(m for m in MUTANTS if m.id in args.only)
    if args.tests:
        mutants = tuple(replace(m, tests=tuple(args.tests)) for m in mutants)
    if args.list:
        for m in mutants:
            print(f"{m.id:<36} {m.file:<52} {m.description}")
        return 0

    start = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="calibcert-mutations-"))
    base.chmod(0o755)  # mkdtemp's 0700 would keep the servers' account out of tmp*/
    try:
        pristine = base / "pristine"
        make_copy(REPO, pristine, args.source)
        problems = check_list(MUTANTS, pristine)
        if problems:
            print("mutation check: the mutant list does not match the code:", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        problem = check_imports_from_copy(pristine, base / "tmp-check")
        if problem:
            print(f"mutation check: {problem}", file=sys.stderr)
            return 1

        union = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
        if args.no_baseline:
            union = ()
            seconds = 0.0
            print("mutation check: no baseline (exploring: the result does not count)")
        else:
            seconds = baseline(pristine, base, union, args.timeout)
            if seconds is None:
                return 1
        print(f"mutation check: running {len(mutants)} mutants, {args.jobs} at a time",
              flush=True)

        workers = Workers(pristine, base, args.jobs)

        def one(m: Mutant) -> Outcome:
            o = workers.run(m, args.timeout)
            print(f"  {m.id}: {o.result} ({o.seconds:.1f} s)", flush=True)
            return o

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            outcomes = list(pool.map(one, mutants))
    finally:
        if args.keep:
            print(f"mutation check: kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    print()
    print_table(outcomes)
    bad = [o for o in outcomes if o.result != "KILLED"]
    killed = len(outcomes) - len(bad)
    total = time.monotonic() - start
    print(f"\nmutation check: {killed} of {len(outcomes)} mutants killed"
          f"{'' if not bad else ', NOT killed: ' + ', '.join(o.mutant.id for o in bad)}"
          f" (baseline {seconds:.0f} s, total {total:.0f} s)")
    if bad and args.verbose:
        for o in bad:
            print(f"\n== {o.mutant.id} ({o.result})\n{o.output}")
    return 0 if not bad and not args.no_baseline else 1


def baseline(pristine: Path, base: Path, union: tuple[str, ...], timeout: float
             ) -> float | None:
    """Seconds the union of the selections took on the unmutated copy; None if it failed."""
    print(f"mutation check: baseline, {len(union)} test selections on the unmutated copy",
          flush=True)
    result, seconds, caught, out = run_pytest(pristine, base / "tmp-baseline", union,
                                              timeout * 2)
    if result != "PASSED":
        print(out, file=sys.stderr)
        print(f"mutation check: the unmutated copy fails its tests ({result}"
              f"{', ' + caught if caught else ''}): fix that first", file=sys.stderr)
        return None
    print(f"mutation check: baseline passed in {seconds:.1f} s", flush=True)
    return seconds


if __name__ == "__main__":
    sys.exit(main())
