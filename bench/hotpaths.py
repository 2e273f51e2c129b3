"""Adhere's hot paths side by side with Parse Server, on this machine, in one run.

Usage (PostgreSQL on 127.0.0.1:5432 for Adhere; the database, whose name must
contain "bench", is dropped and made again):

    .venv/bin/python bench/hotpaths.py                 # N=1000, 15 s a request
    .venv/bin/python bench/hotpaths.py --smoke         # N=20, 2 s, no Parse: under a minute
    .venv/bin/python bench/hotpaths.py --patients 200 --duration 10s --workers 3 --no-parse

Adhere runs as in production (DEBUG off, a secret key, gunicorn with --workers
sync workers, hashed static files) except plain HTTP on 127.0.0.1 and API
throttles raised out of the way. Its data: N patients with 3 medications each,
their doses made by the real dose-making code from a few days back (pending,
so that every POST can confirm a different one) to the horizon, a session
token per patient as allauth's headless app sign-in makes it, and a caregiver
linked to 50 of them, signed in through the browser login form.

Parse Server (bench/parse/: parse-server from npm on its own PostgreSQL, a
temporary cluster on 127.0.0.1:55432) gets the same N patients with 3
reminders each, signed up through its REST API.

Then wrk (-t2 -c16, a warm-up before each) on:
  POST /api/v1/confirmations/ (each a different pending dose) vs POST ConfirmationLog,
  GET /api/v1/reminders/ as the patient vs GET own MedicationReminder,
  the caregiver dashboard with 50 patients and /healthz (Adhere only).
It prints a table and writes bench/results/hotpaths-<timestamp>.json.
"""

# ruff: noqa: S310, S603, S607 (it runs local tools and calls its own servers on 127.0.0.1)
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import http.cookiejar
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PARSE_DIR = BENCH / "parse"
WRK_DIR = BENCH / "wrk"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

PASSWORD = "hotpaths-bench-password"  # noqa: S105 (throwaway accounts on a throwaway database)
# The same medications as the Parse side (bench/parse/anchor.js): 3 of these 5 per patient.
MEDICATIONS = [
    ("Metformin", "500 mg", ("08:00", "20:00")),
    ("Lisinopril", "10 mg", ("08:00",)),
    ("Atorvastatin", "20 mg", ("21:00",)),
    ("Levothyroxine", "50 mcg", ("07:00",)),
    ("Amlodipine", "5 mg", ("09:00",)),
]
# The caregiver dashboard's URL name, where it is now and where it may move (a `pages` app).
DASHBOARD_URL_NAMES = ["patients:caring", "pages:caring"]
PARSE_APP_ID = "adhere-anchor"
PARSE_MASTER_KEY = "anchor-master-key"


def main() -> None:
    args = _arguments()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk).")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="adhere-hotpaths-"))
    work.chmod(0o711)  # Parse's PostgreSQL runs as the postgres account and keeps its data in here
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report: dict = {
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "settings": {
            "patients": args.patients,
            "caregiver_patients": args.caregiver_patients,
            "duration": args.duration,
            "warmup": args.warmup,
            "threads": args.threads,
            "connections": args.connections,
            "gunicorn_workers": args.workers,
            "parse": not args.no_parse,
        },
        "machine": _machine(args.database_url),
        "results": [],
    }
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        adhere = Adhere(args, work / "adhere")
        stack.callback(adhere.stop)
        parse = None
        # The two sides seed at the same time: Parse's sign-ups wait on bcrypt for minutes.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            if not args.no_parse:
                parse = Parse(args, work / "parse")
                parse.check_ports()
                stack.callback(parse.stop)
                parse_ready = pool.submit(parse.prepare)
            adhere.prepare()
            if parse:
                parse_ready.result()
        report["adhere"] = adhere.info
        if parse:
            report["parse"] = parse.info
        report["machine"]["load_after_seeding"] = _load()
        results = report["results"]
        results.append(adhere.confirm())
        if parse:
            results.append(parse.confirm())
        results.append(adhere.reminders())
        if parse:
            results.append(parse.reminders())
        results.append(adhere.dashboard())
        results.append(adhere.healthz())
        report["adhere"]["checks"] = {**adhere.check_confirmations(), **adhere.check_still_signed_in()}
    report["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"hotpaths-{stamp}{'-smoke' if args.smoke else ''}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(_table(report))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    problems = _problems(report)
    if problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(problems))
        sys.exit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", "-n", type=int, default=1000, help="Patients on each side (1000).")
    parser.add_argument("--duration", default="15s", help="wrk's measured run per request (15s).")
    parser.add_argument("--warmup", default="5s", help="wrk's warm-up run before each (5s).")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2).")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16).")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (5).")
    parser.add_argument("--caregiver-patients", type=int, default=50, help="Patients on the dashboard (50).")
    parser.add_argument(
        "--confirm-capacity",
        type=int,
        default=1500,
        help="Confirmations/s to make pending doses for, so no POST repeats one (1500).",
    )
    parser.add_argument(
        "--dashboard-url-name",
        help=f"The caregiver dashboard's URL name (default: first of {', '.join(DASHBOARD_URL_NAMES)}).",
    )
    parser.add_argument("--no-parse", action="store_true", help="Adhere only.")
    parser.add_argument("--smoke", action="store_true", help="Tiny: N=20, 2 s runs, 1 s warm-ups, no Parse.")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HOTPATHS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/adhere_bench"),
        help="Adhere's database, dropped and made again; its name must contain 'bench'.",
    )
    parser.add_argument("--adhere-port", type=int, default=0, help="Adhere's port (default: a free one).")
    parser.add_argument("--parse-port", type=int, default=1337)
    parser.add_argument("--parse-pg-port", type=int, default=55432)
    parser.add_argument("--pg-bin", default="/usr/lib/postgresql/15/bin", help="PostgreSQL 15 binaries.")
    args = parser.parse_args()
    if args.smoke:
        args.patients, args.duration, args.warmup, args.no_parse = 20, "2s", "1s", True
        args.caregiver_patients = min(args.caregiver_patients, args.patients)
        args.confirm_capacity = min(args.confirm_capacity, 1000)
    if args.caregiver_patients > args.patients:
        parser.error("--caregiver-patients cannot be more than --patients")
    return args


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", duration)
    if not match:
        raise SystemExit(f"Not a duration: {duration!r} (say 15s, 2m)")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _run(command: list[str], **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None:
            print(log.read_text(errors="replace")[-4000:])
            raise SystemExit(f"The server exited before {url} answered.")
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s.")
        time.sleep(0.25)


def _stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    print(f"stopped {name} (pid {process.pid})")


def _git_commit() -> str:
    try:
        commit = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).strip()
        dirty = _run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _machine(database_url: str) -> dict:
    import psycopg

    def version(command: list[str]) -> str:
        try:
            return (
                subprocess.run(command, capture_output=True, text=True, check=False)
                .stdout.strip()
                .splitlines()[0]
            )
        except (OSError, IndexError):
            return "not found"

    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(int(Path("/proc/meminfo").read_text().split()[1]) / 1048576, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "wrk": version(["wrk", "-v"]) or "wrk",
        "node": version(["node", "--version"]),
        "git_commit": _git_commit(),
        "load_before": _load(),
        "postgresql_adhere": _pg_version(psycopg, database_url),
    }


def _pg_version(psycopg, url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        with psycopg.connect(parts._replace(path="/postgres").geturl()) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as error:
        return f"unreachable: {error}"


# --- CPU ------------------------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), command)
    return table


def process_tree(root: int, table: dict[int, tuple[int, str]]) -> set[int]:
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, (parent, _) in table.items() if parent in tree} - tree
        tree |= children
        grown = bool(children)
    return tree


def _cpu_ticks(pids: set[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def _machine_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used by groups of server processes (and the whole machine) during one wrk run."""

    def __init__(self, groups) -> None:
        self.groups = groups  # callable: process table -> {name: set of pids}

    def __enter__(self) -> CpuMeter:
        table = _process_table()
        self.before = {name: _cpu_ticks(pids) for name, pids in self.groups(table).items()}
        self.machine_before = _machine_ticks()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        elapsed = time.monotonic() - self.started
        table = _process_table()
        self.seconds = {}
        for name, pids in self.groups(table).items():
            after, before = _cpu_ticks(pids), self.before.get(name, {})
            self.seconds[name] = (
                sum(max(0, ticks - before.get(pid, 0)) for pid, ticks in after.items()) / TICK
            )
        busy_before, _ = self.machine_before
        busy_after, _ = _machine_ticks()
        self.seconds["machine"] = (busy_after - busy_before) / TICK
        self.cores = {name: round(value / elapsed, 2) for name, value in self.seconds.items()}


def _settle(groups, *, idle_cores: float = 0.15, limit: float = 60) -> None:
    """Wait until the servers are idle: requests wrk left in flight are still being answered."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with CpuMeter(groups) as meter:
            time.sleep(0.5)
        if sum(cores for name, cores in meter.cores.items() if name != "machine") < idle_cores:
            return


# --- wrk ------------------------------------------------------------------------------------


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(match[1]) * UNITS[match[2]]


def wrk(
    args: argparse.Namespace,
    *,
    key: str,
    side: str,
    label: str,
    url: str,
    script: Path | None = None,
    script_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
    duration: str | None = None,
    latency: bool = True,
    cpu=None,
) -> dict:
    # A 10 s timeout rather than wrk's 2 s: a slow page is measured, not dropped as an error.
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}",
        "--timeout",
        "10s",
    ]
    if latency:
        command.append("--latency")
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    if cpu:
        _settle(cpu)
    load = _load()
    meter = CpuMeter(cpu or (lambda table: {}))
    with meter:
        output = _run(command)
    result = {
        "key": key,
        "side": side,
        "label": label,
        "url": url,
        "duration": duration or args.duration,
        "load_before": load,
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "non_2xx_3xx": int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1]),
        "socket_errors": (re.search(r"Socket errors: (.*)", output) or [None, ""])[1],
        "cpu_cores": meter.cores,
    }
    if result["requests"]:
        result["cpu_ms_per_request"] = {
            name: round(1000 * value / result["requests"], 2) for name, value in meter.seconds.items()
        }
    if latency:
        for percentile in ("50", "75", "90", "99"):
            result[f"p{percentile}_ms"] = _milliseconds(re.search(rf"\s{percentile}%\s+(\S+)", output)[1])
    for name in ("used", "sent"):
        found = re.search(rf"hotpaths-{name} (\d+)", output)
        if found:
            result[name] = int(found[1])
    if duration is None:
        result["wrk_output"] = output
        print(
            f"  {side:6} {label:34} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
            f"p99 {result['p99_ms']:7.1f} ms  non-2xx {result['non_2xx_3xx']}  (load before {load})"
        )
        print("         CPU cores: " + ", ".join(f"{name} {cores}" for name, cores in meter.cores.items()))
    return result


def warm_then_measure(args: argparse.Namespace, **kwargs) -> dict:
    """A warm-up run (not kept, except how far it walked a list), then the measured run."""
    warm = wrk(args, duration=args.warmup, latency=False, **kwargs)
    result = wrk(args, **kwargs)
    result["warmup"] = {key: warm[key] for key in ("requests", "rps", "non_2xx_3xx") if key in warm}
    return result


# --- Adhere ---------------------------------------------------------------------------------


class Adhere:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.server: subprocess.Popen | None = None
        self.port = args.adhere_port or _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.info: dict = {"gunicorn_workers": args.workers}
        self.confirm_requests = (0, 0)

    def _environment(self) -> None:
        # Production settings (DEBUG off, a real secret, hashed static files), plain HTTP on
        # loopback, throttles out of the way, the default cache in the database as in production
        # without Redis. The gunicorn workers inherit all of it.
        os.environ.update(
            DJANGO_SETTINGS_MODULE="adherence.settings",
            DEBUG="0",
            SECRET_KEY="hotpaths-" + secrets.token_urlsafe(48),
            DATABASE_URL=self.args.database_url,
            STATIC_ROOT=str(self.work / "static"),
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            API_THROTTLE_USER="100000000/hour",
            API_THROTTLE_ANON="100000000/hour",
            ALLOWED_HOSTS="127.0.0.1",
        )
        os.environ.pop("REDIS_URL", None)

    def prepare(self) -> None:
        from audit_throughput import _fresh_database

        self.work.mkdir(parents=True)
        self._environment()
        started = time.monotonic()
        print(f"Adhere: fresh database {urllib.parse.urlsplit(self.args.database_url).path.lstrip('/')}")
        _fresh_database(self.args.database_url)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.info["postgresql"] = connection.cursor().connection.info.server_version
        self._seed()
        self._start()
        self._sign_in()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        from django.db import connections

        connections.close_all()  # nothing of ours holds the database while wrk runs
        self.info["prepare_seconds"] = round(time.monotonic() - started, 1)
        print(f"Adhere: ready in {self.info['prepare_seconds']} s")

    def _seed(self) -> None:
        from allauth.account.models import EmailAddress
        from django.contrib.auth.hashers import make_password
        from django.db import transaction
        from django.utils import timezone

        from accounts.models import User
        from patients.models import CareLink, PatientProfile
        from reminders import services
        from reminders.models import Dose, MedicationReminder
        from reminders.schedule import Repeat, Schedule, Step

        n = self.args.patients
        started = time.monotonic()
        now = timezone.now()
        # Pending doses in the past, enough for every POST of the run (warm-ups too) to confirm a
        # different one: doses a day per patient is 3-4 with these medications.
        runs = _seconds(self.args.duration) + _seconds(self.args.warmup)
        needed = self.args.confirm_capacity * runs * 1.2
        per_day = sum(len(MEDICATIONS[(i + k) % len(MEDICATIONS)][2]) for i in range(n) for k in range(3))
        history_days = max(1, math.ceil(needed / per_day))
        history_start = now - datetime.timedelta(days=history_days)
        password = make_password(PASSWORD)  # hashed once: the accounts share it
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(email=f"patient{i}@hotpaths.bench.invalid", password=password) for i in range(n)]
            )
            caregiver = User.objects.create(
                email="caregiver@hotpaths.bench.invalid", password=password, cares_for_others=True
            )
            EmailAddress.objects.bulk_create(
                [
                    EmailAddress(user=u, email=u.email, verified=True, primary=True)
                    for u in [*users, caregiver]
                ]
            )
            patients = PatientProfile.objects.bulk_create(
                [
                    PatientProfile(
                        user=user,
                        display_name=f"Patient {i:05d}",
                        phone_number=f"+4479{i:08d}",
                        time_zone="Europe/London",
                        date_of_birth=datetime.date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                    )
                    for i, user in enumerate(users)
                ]
            )
            start_date = history_start.astimezone(datetime.UTC).date() - datetime.timedelta(days=1)
            reminders = MedicationReminder.objects.bulk_create(
                [
                    MedicationReminder(
                        patient=patient,
                        medication_name=name,
                        dosage=dosage,
                        schedule=Schedule(
                            start_date=start_date,
                            steps=(
                                Step(
                                    times=tuple(datetime.time.fromisoformat(t) for t in times),
                                    repeat=Repeat(kind="daily"),
                                ),
                            ),
                        ).to_json(),
                        home_time_zone=patient.time_zone,
                    )
                    for i, patient in enumerate(patients)
                    for name, dosage, times in (MEDICATIONS[(i + k) % len(MEDICATIONS)] for k in range(3))
                ]
            )
            CareLink.objects.bulk_create(
                [
                    CareLink(
                        patient=patient,
                        caregiver=caregiver,
                        invited_email=caregiver.email,
                        caregiver_name="Bench caregiver",
                        status=CareLink.Status.ACTIVE,
                        can_confirm_doses=True,
                        receives_missed_dose_alerts=True,
                        invite_expires_at=now,
                        responded_at=now,
                    )
                    for patient in patients[: self.args.caregiver_patients]
                ]
            )
        print(
            f"Adhere: {n} patients, {len(reminders)} medications, "
            f"a caregiver of {self.args.caregiver_patients}"
        )
        made = 0
        for index, reminder in enumerate(reminders):
            # The real dose-making code, from history_start to the horizon, as seed_demo does.
            with transaction.atomic():
                made += services.doses_extend(
                    reminder=reminder, until=now + services.horizon(), now=history_start
                )
            if (index + 1) % 600 == 0:
                print(f"Adhere: doses for {index + 1}/{len(reminders)} medications ({made} doses)")
        pending = (
            Dose.objects.filter(status=Dose.Status.PENDING, scheduled_at__lte=timezone.now())
            .order_by("scheduled_at", "patient_id", "pk")
            .values_list("patient__user_id", "object_id")
        )
        self.pending = list(pending)
        self.users = users
        self.caregiver = caregiver
        self.info.update(
            patients=n,
            medications=len(reminders),
            doses=made,
            doses_confirmable=len(self.pending),
            history_days=history_days,
            caregiver_patients=self.args.caregiver_patients,
            seed_seconds=round(time.monotonic() - started, 1),
        )
        print(
            f"Adhere: {made} doses made ({history_days} days back to the "
            f"{services.horizon().days}-day horizon), "
            f"{len(self.pending)} pending and due, in {self.info['seed_seconds']} s"
        )

    def _start(self) -> None:
        log = self.work / "gunicorn.log"
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "adherence.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.args.workers),
            "--timeout",
            "60",
            "--error-logfile",
            "-",
        ]
        if not Path(command[0]).exists():
            command[0] = shutil.which("gunicorn") or sys.exit("gunicorn is not installed")
        self.server = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for(f"{self.base}/healthz", self.server, log)
        print(f"Adhere: gunicorn pid {self.server.pid}, {self.args.workers} workers, on {self.base}")

    def _sign_in(self) -> None:
        """Patient 0 and the caregiver sign in for real; the other patients get the same session."""
        from django.urls import reverse

        first = self.users[0]
        request = urllib.request.Request(
            f"{self.base}/_allauth/app/v1/auth/login",
            data=json.dumps({"email": first.email, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.load(response)["meta"]["session_token"]
        tokens = {first.pk: token, **self._sessions_like(token, self.users[1:])}
        self.tokens = [tokens[user.pk] for user in self.users]
        (self.work / "tokens.txt").write_text("\n".join(self.tokens) + "\n")
        (self.work / "confirm.tsv").write_text(
            "".join(f"{tokens[user_id]}\t{dose}\n" for user_id, dose in self.pending)
        )
        # Every token answers with its own patient's reminders, through the real API.
        for index in {0, len(self.users) // 2, len(self.users) - 1}:
            answer = self._get_json("/api/v1/reminders/", {"X-Session-Token": self.tokens[index]})
            names = {reminder["medicationName"] for reminder in answer["results"]}
            expected = {MEDICATIONS[(index + k) % len(MEDICATIONS)][0] for k in range(3)}
            if names != expected:
                raise SystemExit(f"Patient {index}'s token lists {names}, not {expected}")

        self.dashboard_path = self._dashboard_path()
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_path = reverse("account_login")
        with opener.open(f"{self.base}{login_path}", timeout=30) as response:
            page = response.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "login": self.caregiver.email, "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(
            f"{self.base}{login_path}",
            data=form,
            headers={"Origin": self.base, "Referer": f"{self.base}{login_path}"},
        )
        with opener.open(request, timeout=30):
            pass
        session = next((cookie.value for cookie in jar if cookie.name == "sessionid"), None)
        if not session:
            raise SystemExit("The caregiver's browser sign-in set no session cookie.")
        self.cookie = f"sessionid={session}"
        request = urllib.request.Request(f"{self.base}{self.dashboard_path}", headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=60) as response:
            page = response.read().decode()
            if response.url.rstrip("/") != f"{self.base}{self.dashboard_path}".rstrip("/"):
                raise SystemExit(f"The dashboard redirected to {response.url}")
        shown = len(set(re.findall(r"Patient \d{5}", page)))
        if shown != self.args.caregiver_patients:
            raise SystemExit(f"The dashboard shows {shown} patients, not {self.args.caregiver_patients}")
        self.info["dashboard"] = {
            "path": self.dashboard_path,
            "bytes": len(page.encode()),
            "patients_shown": shown,
        }
        print(
            f"Adhere: {len(self.tokens)} patient tokens; "
            f"the caregiver's dashboard {self.dashboard_path} shows {shown}"
        )

    def _dashboard_path(self) -> str:
        from django.urls import NoReverseMatch, reverse

        names = [self.args.dashboard_url_name] if self.args.dashboard_url_name else DASHBOARD_URL_NAMES
        for name in names:
            with contextlib.suppress(NoReverseMatch):
                return reverse(name)
        raise SystemExit(f"None of the URL names {names} resolves: give --dashboard-url-name.")

    def _sessions_like(self, token: str, users) -> dict[int, str]:
        """Sessions for `users` as the headless app sign-in made `token`'s: same data, their own user.

        Signing 1,000 people in through the API would cost a password hash each (minutes of
        CPU) and trip the sign-in rate limits; the sessions it would leave are these rows.
        """
        from allauth.usersessions.models import UserSession
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.db import transaction

        template = Session.objects.get(session_key=token)
        data = SessionStore().decode(template.session_data)
        first = self.users[0]
        template_user = UserSession.objects.filter(session_key=token).first()

        def swap(value, user):
            if isinstance(value, dict):
                return {key: swap(item, user) for key, item in value.items()}
            if isinstance(value, list):
                return [swap(item, user) for item in value]
            if value == str(first.pk):
                return str(user.pk)
            if value == first.pk and not isinstance(value, bool):
                return user.pk
            if value == first.email:
                return user.email
            return value

        store = SessionStore()
        tokens: dict[int, str] = {}
        sessions, user_sessions = [], []
        for user in users:
            key = store._get_new_session_key()
            while key in tokens.values():
                key = store._get_new_session_key()
            tokens[user.pk] = key
            session_data = swap(data, user)
            session_data["_auth_user_hash"] = user.get_session_auth_hash()
            sessions.append(
                Session(
                    session_key=key, session_data=store.encode(session_data), expire_date=template.expire_date
                )
            )
            if template_user is not None:
                user_sessions.append(
                    UserSession(
                        user=user,
                        session_key=key,
                        ip=template_user.ip,
                        user_agent=template_user.user_agent,
                        created_at=template_user.created_at,
                        last_seen_at=template_user.last_seen_at,
                        data=template_user.data,
                    )
                )
        with transaction.atomic():
            Session.objects.bulk_create(sessions, batch_size=1000)
            UserSession.objects.bulk_create(user_sessions, batch_size=1000)
        self.info["session_keys"] = sorted(data)
        return tokens

    def _get_json(self, path: str, headers: dict[str, str]) -> dict:
        request = urllib.request.Request(f"{self.base}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def confirm(self) -> dict:
        size = len(self.pending)
        script_args = [str(self.work / "confirm.tsv"), "0", str(self.args.threads)]
        kwargs = {
            "key": "confirm",
            "side": "Adhere",
            "label": "POST /api/v1/confirmations/",
            "url": f"{self.base}/api/v1/confirmations/",
            "script": WRK_DIR / "adhere_confirm.lua",
            "cpu": self.cpu_groups,
        }
        warm = wrk(self.args, duration=self.args.warmup, latency=False, script_args=script_args, **kwargs)
        script_args[1] = str(warm["used"])
        result = wrk(self.args, script_args=script_args, **kwargs)
        result["warmup"] = {key: warm[key] for key in ("requests", "rps", "non_2xx_3xx")}
        result["doses_listed"] = size
        result["repeated_doses"] = max(0, result["used"] - size)
        self.confirm_requests = (warm["requests"] + result["requests"], warm["sent"] + result["sent"])
        return result

    def check_still_signed_in(self) -> dict:
        """wrk takes a redirect for a success: the credentials must still answer 200, not a sign-in page."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        statuses = {}
        for name, path, headers in (
            ("reminders_status_after", "/api/v1/reminders/", {"X-Session-Token": self.tokens[0]}),
            ("dashboard_status_after", self.dashboard_path, {"Cookie": self.cookie}),
        ):
            try:
                with opener.open(
                    urllib.request.Request(f"{self.base}{path}", headers=headers), timeout=60
                ) as answer:
                    statuses[name] = answer.status
            except urllib.error.HTTPError as error:
                statuses[name] = error.code
        return statuses

    def check_confirmations(self) -> dict:
        """How many doses the POSTs confirmed: one each, unless the list ran out.

        wrk counts the requests answered before it stopped; those still in flight then (one
        per connection at most) may have confirmed their dose too.
        """
        import django.db

        from reminders.models import ConfirmationLog

        confirmed = ConfirmationLog.objects.count()
        django.db.connections.close_all()
        answered, sent = self.confirm_requests
        return {
            "confirmation_requests_answered": answered,
            "confirmation_requests_sent": sent,
            "confirmations_made": confirmed,
        }

    def reminders(self) -> dict:
        return warm_then_measure(
            self.args,
            key="reminders",
            side="Adhere",
            label="GET /api/v1/reminders/",
            url=f"{self.base}/api/v1/reminders/",
            script=WRK_DIR / "adhere_reminders.lua",
            cpu=self.cpu_groups,
            script_args=[str(self.work / "tokens.txt")],
        )

    def dashboard(self) -> dict:
        return warm_then_measure(
            self.args,
            key="dashboard",
            side="Adhere",
            label=f"GET {self.dashboard_path} ({self.args.caregiver_patients} patients)",
            url=f"{self.base}{self.dashboard_path}",
            headers={"Cookie": self.cookie},
            cpu=self.cpu_groups,
        )

    def healthz(self) -> dict:
        return warm_then_measure(
            self.args,
            key="healthz",
            side="Adhere",
            label="GET /healthz",
            url=f"{self.base}/healthz",
            cpu=self.cpu_groups,
        )

    def cpu_groups(self, table: dict[int, tuple[int, str]]) -> dict[str, set[int]]:
        """The gunicorn master and workers, and the PostgreSQL backends serving the bench database."""
        database = urllib.parse.urlsplit(self.args.database_url).path.lstrip("/")
        backends = {
            pid
            for pid, (_, command) in table.items()
            if command.startswith("postgres: ") and f" {database} " in command
        }
        return {"gunicorn": process_tree(self.server.pid, table), "postgresql": backends}

    def stop(self) -> None:
        _stop(self.server, "gunicorn")


# --- Parse Server ---------------------------------------------------------------------------


class Parse:
    """parse-server (bench/parse/) on a PostgreSQL cluster of its own, made in a temporary directory."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.server: subprocess.Popen | None = None
        self.pg_started = False
        self.url = f"http://127.0.0.1:{args.parse_port}"
        self.info: dict = {}

    def _as_postgres(self, command: list[str]) -> list[str]:
        # initdb and postgres refuse to run as root: run them as the postgres account.
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def check_ports(self) -> None:
        for port in (self.args.parse_pg_port, self.args.parse_port):
            if _port_in_use(port):
                raise SystemExit(
                    f"Port {port} on 127.0.0.1 is taken: is another Parse run going? (see --help)"
                )

    def prepare(self) -> None:
        started = time.monotonic()
        pg = Path(self.args.pg_bin)
        data = self.work / "pg"
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            shutil.chown(data, "postgres")
        _run(
            self._as_postgres(
                [str(pg / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            )
        )
        _run(
            self._as_postgres(
                [
                    str(pg / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(self.work / "pg.log"),
                    "-w",
                    "-o",
                    f"-p {self.args.parse_pg_port} -k {self.work} -c listen_addresses=127.0.0.1",
                    "start",
                ]
            )
        )
        self.pg_started = True
        psql = [
            str(pg / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.args.parse_pg_port),
            "-U",
            "postgres",
            "-qAt",
        ]
        _run(
            [
                *psql,
                "-d",
                "postgres",
                "-c",
                "CREATE ROLE parse LOGIN",
                "-c",
                "CREATE DATABASE parse OWNER parse",
            ]
        )
        self.info["postgresql"] = _run([*psql, "-d", "parse", "-c", "SHOW server_version"]).strip()
        self.psql = psql
        if not (PARSE_DIR / "node_modules" / "parse-server").is_dir():
            print("Parse: npm ci (parse-server as pinned in package-lock.json)")
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PARSE_DIR, check=True)
        self.info["parse_server"] = _run(
            ["node", "-p", 'require("parse-server/package.json").version'], cwd=PARSE_DIR
        ).strip()
        self.environment = {
            **os.environ,
            "PARSE_APP_ID": PARSE_APP_ID,
            "PARSE_MASTER_KEY": PARSE_MASTER_KEY,
            "PARSE_PORT": str(self.args.parse_port),
            "PARSE_URL": f"{self.url}/parse",
            "PARSE_DB": f"postgres://parse@127.0.0.1:{self.args.parse_pg_port}/parse",
            "PARSE_SERVER_LOGS_FOLDER": str(self.work / "logs"),
            "WORKERS": "1",
        }
        log = self.work / "parse.log"
        self.server = subprocess.Popen(
            ["node", "server.js"],
            cwd=PARSE_DIR,
            env=self.environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for(f"{self.url}/parse/health", self.server, log)
        print(f"Parse: parse-server {self.info['parse_server']} pid {self.server.pid} on {self.url}")
        self.users = self.work / "users.tsv"
        for step in (
            ["schema"],
            ["seed", str(self.args.patients), str(self.users)],
            ["check", str(self.users)],
        ):
            # Its own progress lines go straight to the terminal: signing up 1,000 takes minutes.
            subprocess.run(["node", "anchor.js", *step], cwd=PARSE_DIR, env=self.environment, check=True)
        _run([*psql, "-d", "parse", "-c", "VACUUM ANALYZE"])
        self.info["patients"] = self.args.patients
        self.info["prepare_seconds"] = round(time.monotonic() - started, 1)

    def confirm(self) -> dict:
        return warm_then_measure(
            self.args,
            key="confirm",
            side="Parse",
            label="POST /parse/classes/ConfirmationLog",
            url=self.url,
            script=PARSE_DIR / "post.lua",
            cpu=self.cpu_groups,
            script_args=[str(self.users), str(self.args.threads)],
        )

    def reminders(self) -> dict:
        return warm_then_measure(
            self.args,
            key="reminders",
            side="Parse",
            label="GET /parse/classes/MedicationReminder",
            url=self.url,
            script=PARSE_DIR / "get.lua",
            cpu=self.cpu_groups,
            script_args=[str(self.users)],
        )

    def cpu_groups(self, table: dict[int, tuple[int, str]]) -> dict[str, set[int]]:
        """The node process, and Parse's whole PostgreSQL cluster (its own, nothing else uses it)."""
        postmaster = int((self.work / "pg" / "postmaster.pid").read_text().split()[0])
        return {"node": process_tree(self.server.pid, table), "postgresql": process_tree(postmaster, table)}

    def stop(self) -> None:
        _stop(self.server, "parse-server")
        if self.pg_started:
            subprocess.run(
                self._as_postgres(
                    [
                        str(Path(self.args.pg_bin) / "pg_ctl"),
                        "-D",
                        str(self.work / "pg"),
                        "-m",
                        "fast",
                        "stop",
                    ]
                ),
                check=False,
                capture_output=True,
            )
            print(f"stopped Parse's PostgreSQL on :{self.args.parse_pg_port}")


# --- Report ---------------------------------------------------------------------------------


ROWS = [
    ("confirm", "confirm a dose (POST)"),
    ("reminders", "list own reminders (GET)"),
    ("dashboard", "caregiver dashboard"),
    ("healthz", "/healthz"),
]


def _table(report: dict) -> str:
    results = {(r["side"], r["key"]): r for r in report["results"]}

    def cell(result: dict | None) -> str:
        if result is None:
            return "-"
        return f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"

    settings = report["settings"]
    lines = [
        f"N={settings['patients']} patients x 3 medications, "
        f"wrk -t{settings['threads']} -c{settings['connections']} -d{settings['duration']} "
        f"(after {settings['warmup']} warm-up), gunicorn {settings['gunicorn_workers']} workers, "
        f"{report['machine']['nproc']} cores, commit {report['machine']['git_commit'][:12]}",
        "",
        "| request | Parse | Adhere | Adhere / Parse |",
        "|---|---|---|---|",
    ]
    for key, label in ROWS:
        parse, adhere = results.get(("Parse", key)), results.get(("Adhere", key))
        if key == "dashboard" and adhere:
            label = f"caregiver dashboard, {settings['caregiver_patients']} patients"
        ratio = f"{adhere['rps'] / parse['rps']:.2f}" if parse and adhere else "-"
        lines.append(f"| {label} | {cell(parse)} | {cell(adhere)} | {ratio} |")
    lines += [
        "",
        "CPU while measured (cores busy; ms of CPU per answered request):",
        "",
        "| request | side | server | its PostgreSQL | whole machine | load average before |",
        "|---|---|---|---|---|---|",
    ]
    for result in report["results"]:
        cores, per_request = result.get("cpu_cores", {}), result.get("cpu_ms_per_request", {})
        server = "gunicorn" if result["side"] == "Adhere" else "node"
        cells = [
            f"{cores[name]:.2f} cores, {per_request[name]:.1f} ms"
            if name in cores and name in per_request
            else "-"
            for name in (server, "postgresql", "machine")
        ]
        lines.append(
            f"| {result['label']} | {result['side']} | {' | '.join(cells)} | {result['load_before']} |"
        )
    return "\n".join(lines)


def _problems(report: dict) -> list[str]:
    problems = []
    for result in report["results"]:
        if result["non_2xx_3xx"]:
            problems.append(
                f"{result['side']} {result['label']}: {result['non_2xx_3xx']} answers not 2xx/3xx"
            )
        if result["socket_errors"]:
            problems.append(f"{result['side']} {result['label']}: socket errors {result['socket_errors']}")
        if result["requests"] == 0:
            problems.append(f"{result['side']} {result['label']}: no request completed")
    checks = report.get("adhere", {}).get("checks", {})
    for name in ("reminders_status_after", "dashboard_status_after"):
        if name in checks and checks[name] != 200:
            problems.append(f"Adhere: {name} is {checks[name]}: the session ended during the run")
    made = checks.get("confirmations_made")
    if (
        checks
        and not checks["confirmation_requests_answered"] <= made <= checks["confirmation_requests_sent"]
    ):
        problems.append(
            f"Adhere: {checks['confirmation_requests_answered']} confirmation POSTs answered "
            f"({checks['confirmation_requests_sent']} sent) made {made} confirmations "
            "(each should confirm a new dose)"
        )
    return problems


if __name__ == "__main__":
    main()
