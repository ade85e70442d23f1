"""The fault run of issue 12 (``../shared/fault-run-report.md``), repeatable: load and faults against a
deployment started from the project CLI, then one table. Prints figures, asserts nothing.

Deployment, all on 127.0.0.1 and each process in its own process group (killed at the end whatever
happens, Ctrl-C included): a private ``redis-server`` on a free port with AOF (``--appendonly yes
--appendfsync everysec``) in a temporary folder, ``naibot sandbox novelai`` with three persistent-token
accounts A, B, C and ``--step-latency``, ``naibot sandbox telegram`` (Telegram's real flood limits: 1/s per
private chat, 20/min per group, 30/s overall), two ``naibot worker --processes 1 --threads 2``, one
``naibot telegram`` and one ``naibot api``. Environment as the report's Setup: ``NOVELAI_TOKEN`` = A (the
``default`` lane), a 44-character ``NAIBOT_SECRET_KEY``, ``NAIBOT_REDIS__PREFIX=fault``,
``NAIBOT_QUEUE__MAX_ANLAS_PER_JOB=100``, two admins, and ``NAIBOT_API__KEYS`` with a ``webapp`` key
(account ``apiacct`` = C, added with ``naibot account add``, max priority 5) and an admin ``ops`` key.
(The report's lane B, lent to a group through chat ``/login`` and ``/group account lend``, is left out.)

Load over ``--load-seconds``: Telegram ``/generate`` (also ``/gen``, ``/g``) from users in private chats and
groups (about 45 % in groups; about 25 % ``n:2``; eight sizes; some ``steps:``; admins ``--priority 7..9``,
a few ``priority:3``), HTTP API jobs (4 in 5 with ``webapp``, the rest ``ops`` at priority 8) and cancels
(``/cancel <id>``, the Cancel button, ``POST /cancel_task``). Every prompt carries a unique tag
(``fxtg0001q``, ``fxap0001q``), by which jobs are matched in Redis and at the NovelAI stand-in.

Faults, at the report's times scaled by ``load_seconds / 180``: kill -9 of worker w1 while it generates
(restart), kill -9 of the Telegram bot (restart), NovelAI 20 % 500 / 5 % 503 / 5 % dropped connections
with 3 s slow answers inside that window and two outside "website" generations (50 steps) on account A
and one on C, kill -9 of w2 while it generates (restart), a graceful Redis shutdown restarted 5 s later on
the same folder, kill -9 of w1 when idle (restart). Then a bounded drain and the table.

Run: ``.venv/bin/python bench/fault_run.py`` (about 3-4 minutes on 2 cores; 80 commands from 15 users in
private chats and 3 groups, 20 API jobs, 6 cancels, 120 s of load) or ``... --full`` (the report's size:
200 commands from 30 users in 5 groups, 50 API jobs, 20 cancels, 180 s). Every figure can be set on the
command line (``--help``) or in the environment (``FAULT_COMMANDS``, ``FAULT_USERS``, ``FAULT_GROUPS``,
``FAULT_API_JOBS``, ``FAULT_CANCELS``, ``FAULT_LOAD_SECONDS``, ``FAULT_DRAIN_SECONDS``, ``FAULT_SEED``);
``--keep-logs DIR`` copies the processes' logs there.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]: the repo root takes its place (bench/queue.py and telegram.py would
# shadow the standard library's ``queue`` and the ``telegram`` package; ``bench.common`` is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from bench.common import Processes, clean_environ, free_port, wait_until_answering
from tasks.launch import wait_for_heartbeats

PREFIX = "fault"
TAG = re.compile(r"fx(?:tg|ap|ws)\d{4}q")
ADMINS = (1029, 1030)
SIZES = ("512x512", "512x768", "768x512", "640x640", "576x832", "832x576", "512x640", "640x512")
STEP_LATENCY = 0.045
REPORT_SECONDS = 180.0  # the report's load phase; its fault times are scaled to ours
# Random: `naibot api` refuses guessable keys.
WEBAPP_KEY = "kQlOXiVeJxhji+YxnInvnSMzH2YuI1rV6LIVKqXuXqA="
OPS_KEY = "DuYrocX9/fDyFp7KQU+7XU5mg/+z184keRpwg/PLUzg="
CLI = [sys.executable, "-m", "bot.cli"]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="the report's size: 200/30/5, 50 API jobs, 20 cancels, 180 s")
    p.add_argument("--commands", type=int, default=_env_int("FAULT_COMMANDS", 80))
    p.add_argument("--users", type=int, default=_env_int("FAULT_USERS", 15))
    p.add_argument("--groups", type=int, default=_env_int("FAULT_GROUPS", 3))
    p.add_argument("--api-jobs", type=int, default=_env_int("FAULT_API_JOBS", 20))
    p.add_argument("--cancels", type=int, default=_env_int("FAULT_CANCELS", 6))
    p.add_argument("--load-seconds", type=float, default=_env_float("FAULT_LOAD_SECONDS", 120))
    p.add_argument("--drain-seconds", type=float, default=_env_float("FAULT_DRAIN_SECONDS", 150),
                   help="the most to wait after the load for the queue to empty and deliveries to settle")
    p.add_argument("--seed", type=int, default=_env_int("FAULT_SEED", 7))
    p.add_argument("--keep-logs", type=Path, help="copy the processes' logs (and the raw data) to this folder")
    args = p.parse_args()
    if args.full:
        args.commands, args.users, args.groups, args.api_jobs, args.cancels = 200, 30, 5, 50, 20
        args.load_seconds = REPORT_SECONDS
        args.drain_seconds = max(args.drain_seconds, 300)
    return args


def token(rng: random.Random, prefix: str, length: int) -> str:
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


# -- the deployment ------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    procs: Processes
    tmp: Path
    env: dict[str, str]
    redis_port: int
    redis_args: list[str]
    novelai_url: str
    telegram_url: str
    api_url: str
    tokens: dict[str, str]  # A, B, C -> pst-...
    redis: aioredis.Redis
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    bot: subprocess.Popen[bytes] | None = None
    redis_process: subprocess.Popen[bytes] | None = None
    log_names: Counter[str] = field(default_factory=Counter)

    def log_name(self, base: str) -> str:
        """w1, w1-2, w1-3 ...: one log per process started, so a restart does not overwrite the first one."""
        self.log_names[base] += 1
        n = self.log_names[base]
        return base if n == 1 else f"{base}-{n}"

    def start_redis(self) -> None:
        self.redis_process = self.procs.start(self.log_name("redis"), self.redis_args, clean_environ())

    async def wait_redis(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if await self.redis.ping():
                    return
            except (OSError, aioredis.RedisError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the private redis-server did not answer")
            await asyncio.sleep(0.1)

    async def start_worker(self, name: str) -> None:
        known = set(await self.redis.zrange(f"{PREFIX}:workers", 0, -1))
        log = self.log_name(name)
        process = self.procs.start(log, [*CLI, "worker", "--processes", "1", "--threads", "2"], self.env)
        self.workers[name] = process
        try:
            await wait_for_heartbeats(self.redis, PREFIX, process, known, 1, timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.procs.tail(log)}") from None

    def start_bot(self) -> None:
        self.bot = self.procs.start(self.log_name("tg"), [*CLI, "telegram"], self.env)

    def kill9(self, process: subprocess.Popen[bytes] | None) -> None:
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


async def deploy(procs: Processes, tmp: Path, rng: random.Random) -> Deployment:
    tokens = {name: token(rng, "pst-", 64) for name in "ABC"}
    bot_token = f"{rng.randrange(10**9, 10**10)}:AA{token(rng, '', 33)}"
    redis_port = free_port()
    redis_dir = tmp / "redis"
    redis_dir.mkdir()
    redis_args = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
                  "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes"]
    redis = aioredis.Redis(host="127.0.0.1", port=redis_port, socket_timeout=5, socket_connect_timeout=2)

    novelai_port, telegram_port, api_port = free_port(), free_port(), free_port()
    novelai = procs.start("novelai", [*CLI, "sandbox", "novelai", "--port", str(novelai_port),
                                      *(a for name in "ABC" for a in ("--token", f"{tokens[name]}:3:1000000")),
                                      "--step-latency", str(STEP_LATENCY)], clean_environ())
    telegram = procs.start("tgsandbox", [*CLI, "sandbox", "telegram", "--port", str(telegram_port),
                                         "--token", bot_token], clean_environ())
    novelai_url, telegram_url = f"http://127.0.0.1:{novelai_port}", f"http://127.0.0.1:{telegram_port}"
    env = clean_environ()
    env.update({
        "NAIBOT_SETTINGS": os.devnull,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "NAIBOT_REDIS__PREFIX": PREFIX,
        "NOVELAI_API_URL": novelai_url,
        "NOVELAI_IMAGE_URL": novelai_url,
        "NOVELAI_TOKEN": tokens["A"],
        "NAIBOT_SECRET_KEY": base64.urlsafe_b64encode(rng.randbytes(32)).decode(),
        "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "100",
        "NAIBOT_BOT__ADMINS": json.dumps([f"telegram:{a}" for a in ADMINS]),
        "NAIBOT_API__KEYS": json.dumps([
            {"key": WEBAPP_KEY, "identity": "webapp", "account": "apiacct", "max_priority": 5},
            {"key": OPS_KEY, "identity": "ops", "admin": True, "max_priority": 10}]),
        "NAIBOT_API__STATUS_CACHE_SECONDS": "0",
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(tmp / "images"),
        "TELEGRAM_TOKEN": bot_token,
        "TELEGRAM_API_URL": telegram_url,
        "NAIBOT_LOGGING__LEVEL": "WARNING",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    })
    d = Deployment(procs=procs, tmp=tmp, env=env, redis_port=redis_port, redis_args=redis_args,
                   novelai_url=novelai_url, telegram_url=telegram_url, api_url=f"http://127.0.0.1:{api_port}",
                   tokens=tokens, redis=redis)
    d.start_redis()
    await d.wait_redis()
    await wait_until_answering(procs, "novelai", novelai, f"{novelai_url}/_sandbox/stats")
    await wait_until_answering(procs, "tgsandbox", telegram, f"{telegram_url}/_sandbox/stats")
    # The token on stdin, never in argv (visible to every user in ps).
    add = subprocess.run([*CLI, "account", "add", "apiacct", "--token"], env=env, cwd=procs.logs,
                         input=tokens["C"].encode() + b"\n", capture_output=True, timeout=60, check=False)
    if add.returncode != 0:
        raise RuntimeError(f"naibot account add failed: {add.stdout.decode()}{add.stderr.decode()}")
    await d.start_worker("w1")
    await d.start_worker("w2")
    d.start_bot()
    api = procs.start("api", [*CLI, "api", "--host", "127.0.0.1", "--port", str(api_port)], env)
    await wait_until_answering(procs, "api", api, f"{d.api_url}/openapi.json")
    async with httpx.AsyncClient() as http:  # the bot is up once it long-polls
        for _ in range(400):
            stats = (await http.get(f"{telegram_url}/_sandbox/stats")).json()
            if stats["calls_by_method"].get("getUpdates"):
                break
            if d.bot is not None and d.bot.poll() is not None:
                raise RuntimeError(f"naibot telegram exited:\n{procs.tail('tg')}")
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"naibot telegram never polled:\n{procs.tail('tg')}")
    return d


# -- the run's own records -----------------------------------------------------------------------------------


@dataclass
class Command:
    tag: str
    chat_id: int
    user: dict[str, Any]
    group: bool
    text: str
    sent_at: float
    message_id: int | None = None


@dataclass
class ApiJob:
    tag: str
    key: str
    sent_at: float
    status: int = 0
    task_id: str | None = None


@dataclass
class Record:
    t0: float = 0.0
    commands: list[Command] = field(default_factory=list)
    api_jobs: list[ApiJob] = field(default_factory=list)
    cancels: list[dict[str, Any]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    outside: list[tuple[str, float, float, int]] = field(default_factory=list)  # account, start, end, status
    novelai_requests: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    novelai_polls_full: int = 0
    novelai_polls_gapped: int = 0
    killed_jobs: list[str] = field(default_factory=list)

    def t(self) -> float:
        return time.time() - self.t0

    def note(self, text: str) -> None:
        line = f"t={self.t():6.1f}  {text}"
        self.faults.append(line)
        print(line, flush=True)


async def poll_novelai(d: Deployment, rec: Record, stop: asyncio.Event) -> None:
    """The stand-in keeps its last 200 requests: read them every second, so every generation is seen."""
    async with httpx.AsyncClient(timeout=10) as http:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                requests = (await http.get(f"{d.novelai_url}/_sandbox/stats")).json()["requests"]
                keys = [(r["time"], r["path"], r["status"], r["account"]) for r in requests]
                if len(requests) >= 200:
                    rec.novelai_polls_full += 1
                    if rec.novelai_requests and not any(k in rec.novelai_requests for k in keys):
                        rec.novelai_polls_gapped += 1
                for k, r in zip(keys, requests, strict=True):
                    rec.novelai_requests.setdefault(k, r)
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def job_index(redis: aioredis.Redis) -> dict[str, dict[str, Any]]:
    """tag -> {id, state, owner, job (the data JSON)} for every job in Redis."""
    found: dict[str, dict[str, Any]] = {}
    async for key in redis.scan_iter(match=f"{PREFIX}:job:*", count=1000):
        if key.count(b":") != 2:
            continue
        fields = await redis.hgetall(key)
        raw = fields.get(b"data")
        if raw is None:
            continue
        data = json.loads(raw)
        match = TAG.search(data.get("request", {}).get("prompt", ""))
        if match is None:
            continue
        found[match.group(0)] = {"id": key.decode().rsplit(":", 1)[1], "state": (fields.get(b"state") or b"").decode(),
                                 "owner": (fields.get(b"owner") or b"").decode(), "job": data,
                                 "created": float(fields.get(b"created_at") or data.get("created_at") or 0)}
    return found


def in_group(pid: int, pgid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return int(fields[2]) == pgid


async def job_running_on(d: Deployment, process: subprocess.Popen[bytes]) -> str | None:
    """A job now running on ``process`` (its owner's pid is in the process group), or None."""
    for job_id in await d.redis.zrange(f"{PREFIX}:running", 0, -1):
        owner = (await d.redis.hget(f"{PREFIX}:job:{job_id.decode()}", "owner") or b"").decode()
        parts = owner.split(":")
        if len(parts) >= 2 and parts[1].isdigit() and in_group(int(parts[1]), process.pid):
            return str(job_id.decode())
    return None


# -- load ----------------------------------------------------------------------------------------------------


def plan_commands(args: argparse.Namespace, rng: random.Random) -> list[tuple[float, Command]]:
    users = [{"id": ADMINS[i] if i < len(ADMINS) else 1001 + i, "first_name": f"User{i}",
              "username": f"user{i}", "language_code": "en"} for i in range(args.users)]
    groups = [-1001000000001 - g for g in range(args.groups)]
    members = {g: rng.sample(users, min(len(users), 6)) for g in groups}
    plan = []
    for n in range(args.commands):
        tag = f"fxtg{n + 1:04d}q"
        group = bool(groups) and rng.random() < 0.45
        chat = rng.choice(groups) if group else 0
        user = rng.choice(members[chat]) if group else rng.choice(users)
        options = [f"size:{rng.choice(SIZES)}"]
        if rng.random() < 0.25:
            options.append("n:2")
        if rng.random() < 0.6:
            options.append(f"steps:{rng.randint(6, 14)}")
        if user["id"] in ADMINS and rng.random() < 0.5:
            options.append(f"--priority {rng.randint(7, 9)}")
        elif rng.random() < 0.05:
            options.append("priority:3")
        verb = rng.choice(("/generate", "/generate", "/gen", "/g"))
        text = f"{verb} a cat in a garden, {tag} {' '.join(options)}"
        at = args.load_seconds * n / max(1, args.commands) + rng.uniform(0, args.load_seconds / max(1, args.commands))
        plan.append((at, Command(tag, chat if group else int(user["id"]), user, group, text, 0.0)))
    return sorted(plan, key=lambda p: p[0])


async def send_command(http: httpx.AsyncClient, d: Deployment, rec: Record, cmd: Command) -> None:
    body: dict[str, Any] = {"chat_id": cmd.chat_id, "user": cmd.user, "text": cmd.text}
    if cmd.group:
        body |= {"chat_type": "supergroup", "chat_title": f"Fault group {cmd.chat_id}"}
    cmd.sent_at = rec.t()
    rec.commands.append(cmd)
    response = await http.post(f"{d.telegram_url}/_sandbox/message", json=body)
    if response.status_code == 201:
        cmd.message_id = int(response.json()["message_id"])


async def send_api_job(http: httpx.AsyncClient, d: Deployment, rec: Record, job: ApiJob, rng: random.Random
                       ) -> None:
    width, height = (int(x) for x in rng.choice(SIZES).split("x"))
    body: dict[str, Any] = {"prompt": f"a dog on a beach, {job.tag}", "width": width, "height": height,
                            "steps": rng.randint(6, 14), "n_samples": 2 if rng.random() < 0.25 else 1}
    if job.key == OPS_KEY:
        body["priority"] = 8
    job.sent_at = rec.t()
    rec.api_jobs.append(job)
    try:
        response = await http.post(f"{d.api_url}/generate", json=body,
                                   headers={"Authorization": f"Bearer {job.key}"})
    except httpx.HTTPError:
        job.status = -1
        return
    job.status = response.status_code
    if response.status_code == 200:
        job.task_id = response.json()["task_id"]


async def cancel_later(http: httpx.AsyncClient, d: Deployment, rec: Record, kind: str, target: Any) -> None:
    """One cancel attempt, a few seconds after the job was sent (so it may still be waiting)."""
    await asyncio.sleep(3.0)
    attempt: dict[str, Any] = {"kind": kind, "tag": target.tag, "at": rec.t(), "sent": False}
    rec.cancels.append(attempt)
    deadline = time.monotonic() + 20
    if kind == "api":
        if target.task_id is None:
            attempt["note"] = "job not accepted"
            return
        response = await http.post(f"{d.api_url}/cancel_task/{target.task_id}",
                                   headers={"Authorization": f"Bearer {target.key}"})
        attempt |= {"sent": True, "job": target.task_id, "answer": response.status_code}
        return
    cmd: Command = target
    while time.monotonic() < deadline:  # the job, and for a button its status message, must be visible
        with contextlib.suppress(httpx.HTTPError, aioredis.RedisError, OSError):
            job = (await job_index(d.redis)).get(cmd.tag)
            if job is not None and kind == "command":
                body: dict[str, Any] = {"chat_id": cmd.chat_id, "user": cmd.user, "text": f"/cancel {job['id']}"}
                if cmd.group:
                    body |= {"chat_type": "supergroup", "chat_title": f"Fault group {cmd.chat_id}"}
                await http.post(f"{d.telegram_url}/_sandbox/message", json=body)
                attempt |= {"sent": True, "job": job["id"]}
                return
            if job is not None:
                messages = (await http.get(f"{d.telegram_url}/_sandbox/chats/{cmd.chat_id}/messages")).json()
                for m in messages:
                    data = [b.get("callback_data", "") for row in ((m.get("reply_markup") or {})
                            .get("inline_keyboard") or []) for b in row]
                    wanted = f"cancel:{job['id']}"
                    if m["from_bot"] and wanted in data:
                        await http.post(f"{d.telegram_url}/_sandbox/callback", json={
                            "chat_id": cmd.chat_id, "message_id": m["message_id"], "user": cmd.user,
                            "data": wanted})
                        attempt |= {"sent": True, "job": job["id"]}
                        return
        await asyncio.sleep(0.5)
    attempt["note"] = "no job or no Cancel button within 20 s"


async def load(d: Deployment, rec: Record, args: argparse.Namespace, rng: random.Random) -> None:
    commands = plan_commands(args, rng)
    api_plan = []
    for n in range(args.api_jobs):
        key = OPS_KEY if n % 5 == 4 else WEBAPP_KEY
        at = args.load_seconds * n / max(1, args.api_jobs) + rng.uniform(0, 2)
        api_plan.append((at, ApiJob(f"fxap{n + 1:04d}q", key, 0.0)))
    cancel_kinds = [("command", "button", "api")[i % 3] for i in range(args.cancels)]
    cancel_at = sorted(rng.uniform(0.05, 0.9) * args.load_seconds for _ in cancel_kinds)
    events: list[tuple[float, str, Any]] = [(at, "tg", c) for at, c in commands]
    events += [(at, "api", j) for at, j in api_plan]
    events += [(at, f"cancel-{kind}", None) for at, kind in zip(cancel_at, cancel_kinds, strict=True)]
    events.sort(key=lambda e: e[0])
    tasks: list[asyncio.Task[None]] = []
    targeted: set[str] = set()  # one cancel per job at most
    async with httpx.AsyncClient(timeout=30) as http:
        for at, kind, what in events:
            await asyncio.sleep(max(0.0, at - rec.t()))
            if kind == "tg":
                await send_command(http, d, rec, what)
            elif kind == "api":
                tasks.append(asyncio.create_task(send_api_job(http, d, rec, what, rng)))
            elif kind == "cancel-api":
                pool = [j for j in rec.api_jobs if j.task_id is not None and j.tag not in targeted]
                if pool:
                    targeted.add(pool[-1].tag)
                    tasks.append(asyncio.create_task(cancel_later(http, d, rec, "api", pool[-1])))
            else:
                pool2 = [c for c in rec.commands if c.sent_at > rec.t() - 5 and c.tag not in targeted]
                if pool2:
                    targeted.add(pool2[-1].tag)
                    tasks.append(asyncio.create_task(cancel_later(http, d, rec, kind[7:], pool2[-1])))
        await asyncio.gather(*tasks, return_exceptions=True)


# -- faults --------------------------------------------------------------------------------------------------


async def outside_generation(d: Deployment, rec: Record, account: str) -> None:
    """A generation outside the bot ("the website"), 50 steps, to cause real concurrency-lock 429s."""
    body = {"input": "fxws0000q outside", "model": "nai-diffusion-3", "action": "generate",
            "parameters": {"width": 512, "height": 512, "steps": 50, "n_samples": 1, "scale": 5,
                           "sampler": "k_euler_ancestral", "seed": 1}}
    began = time.time()
    status = -1
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(f"{d.novelai_url}/ai/generate-image", json=body,
                                       headers={"Authorization": f"Bearer {d.tokens[account]}"})
            status = response.status_code
    rec.outside.append((account, began, time.time(), status))


async def kill_worker_mid_job(d: Deployment, rec: Record, name: str, wait: float) -> None:
    process = d.workers[name]
    deadline = time.monotonic() + wait
    job = None
    while time.monotonic() < deadline and job is None:
        with contextlib.suppress(aioredis.RedisError, OSError):
            job = await job_running_on(d, process)
        if job is None:
            await asyncio.sleep(0.1)
    d.kill9(process)
    if job:
        rec.killed_jobs.append(job)
    rec.note(f"kill -9 worker {name}'s process group " + (f"while it ran job {job}" if job else
                                                           f"(no job on it within {wait:.0f} s)"))


async def kill_worker_idle(d: Deployment, rec: Record, name: str, wait: float) -> None:
    process = d.workers[name]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.suppress(aioredis.RedisError, OSError):
            if await job_running_on(d, process) is None:
                break
        await asyncio.sleep(0.1)
    busy = None
    with contextlib.suppress(aioredis.RedisError, OSError):
        busy = await job_running_on(d, process)
    d.kill9(process)
    if busy:
        rec.killed_jobs.append(busy)
    rec.note(f"kill -9 worker {name}'s process group, " + (f"busy with {busy} after waiting" if busy else "idle"))


async def faults(d: Deployment, rec: Record, args: argparse.Namespace) -> None:
    s = args.load_seconds / REPORT_SECONDS

    async def at(t: float) -> None:
        await asyncio.sleep(max(0.0, t * s - rec.t()))

    async def set_faults(http: httpx.AsyncClient, **values: float) -> None:
        await http.post(f"{d.novelai_url}/_sandbox/faults", json=values)

    outside: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(timeout=10) as http:
        await at(25)
        await kill_worker_mid_job(d, rec, "w1", 10 * s)
        await at(45)
        await d.start_worker("w1")
        rec.note("worker w1 restarted")
        await at(55)
        d.kill9(d.bot)
        rec.note("kill -9 the naibot telegram process group")
        await at(70)
        d.start_bot()
        rec.note("naibot telegram restarted")
        await at(80)
        await set_faults(http, error_500_rate=0.2, error_503_rate=0.05, drop_rate=0.05)
        rec.note("NovelAI faults on: 20 % 500, 5 % 503, 5 % dropped connections")
        await at(85)
        outside.append(asyncio.create_task(outside_generation(d, rec, "A")))
        rec.note("outside generation (50 steps) on account A")
        await at(100)
        await set_faults(http, slow_seconds=3)
        rec.note("NovelAI slow_seconds=3")
        await at(105)
        outside.append(asyncio.create_task(outside_generation(d, rec, "C")))
        rec.note("outside generation (50 steps) on account C")
        await kill_worker_mid_job(d, rec, "w2", 10 * s)
        await at(115)
        await set_faults(http, slow_seconds=0)
        rec.note("NovelAI slow_seconds=0")
        await at(125)
        await d.start_worker("w2")
        rec.note("worker w2 restarted")
        outside.append(asyncio.create_task(outside_generation(d, rec, "A")))
        rec.note("outside generation (50 steps) on account A")
        await at(140)
        await set_faults(http, error_500_rate=0, error_503_rate=0, drop_rate=0, slow_seconds=0)
        rec.note("NovelAI faults off")
        await at(150)
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(d.redis_port), "shutdown"],
                       capture_output=True, timeout=30, check=False)
        if d.redis_process is not None:
            d.redis_process.wait(timeout=30)
        rec.note("Redis stopped (redis-cli shutdown: graceful)")
        await asyncio.sleep(5)
        d.start_redis()
        await d.wait_redis()
        rec.note("Redis restarted on the same dir")
        await at(180)
        await kill_worker_idle(d, rec, "w1", 10 * s)
        await at(200)
        await d.start_worker("w1")
        rec.note("worker w1 restarted")
        await asyncio.gather(*outside, return_exceptions=True)


# -- drain and collect ---------------------------------------------------------------------------------------


def photos(call: dict[str, Any]) -> int:
    if call["method"] == "sendMediaGroup":
        return len(call["params"].get("media") or [])
    return 1 if call["method"] in ("sendPhoto", "sendDocument") else 0


async def telegram_calls(http: httpx.AsyncClient, d: Deployment) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = (await http.get(f"{d.telegram_url}/_sandbox/calls")).json()
    return calls


JOB_ID = re.compile(r"\b[0-9a-z]{10}\b")


def _texts(params: dict[str, Any]) -> str:
    media = params.get("media") or []
    return " ".join(str(x) for x in (params.get("text"), params.get("caption"),
                                     *((m or {}).get("caption") for m in media if isinstance(m, dict))) if x)


def delivered(calls: list[dict[str, Any]], messages: dict[int, list[dict[str, Any]]], job_ids: set[str]
              ) -> Counter[str]:
    """job id -> photos the stand-in accepted for it. A photo belongs to the job its caption names, or else
    to the job named by the status message it replies to (the message's text now, or any edit of it)."""
    names: dict[tuple[int, int], str] = {}
    for chat, stored in messages.items():
        for m in stored:
            for word in JOB_ID.findall(f"{m.get('text') or ''} {m.get('caption') or ''}"):
                if word in job_ids and m["from_bot"]:
                    names.setdefault((chat, int(m["message_id"])), word)
    for c in calls:
        if c["status"] == 200 and c["method"].startswith("edit") and c["chat_id"] is not None:
            for word in JOB_ID.findall(_texts(c["params"])):
                if word in job_ids and c["params"].get("message_id") is not None:
                    names.setdefault((int(c["chat_id"]), int(c["params"]["message_id"])), word)
    out: Counter[str] = Counter()
    for c in calls:
        if c["status"] != 200 or not photos(c) or c["chat_id"] is None:
            continue
        own = [w for w in JOB_ID.findall(_texts(c["params"])) if w in job_ids]
        reply = (c["params"].get("reply_parameters") or {}).get("message_id")
        job = own[0] if own else names.get((int(c["chat_id"]), int(reply or 0)))
        out[job or "?"] += photos(c)
    return out


def expected_photos(jobs: dict[str, dict[str, Any]], state: str = "done") -> dict[str, int]:
    """job id -> n, for the Telegram jobs in ``state``."""
    return {j["id"]: int(j["job"]["request"].get("n_samples", 1)) for tag, j in jobs.items()
            if tag.startswith("fxtg") and j["state"] == state}


async def chat_messages(http: httpx.AsyncClient, d: Deployment, chats: set[int]) -> dict[int, list[dict[str, Any]]]:
    return {chat: (await http.get(f"{d.telegram_url}/_sandbox/chats/{chat}/messages")).json() for chat in chats}


async def drain(d: Deployment, rec: Record, args: argparse.Namespace) -> float:
    """Until nothing is queued or running and every done Telegram job has its photos (or the time is up)."""
    deadline = time.monotonic() + args.drain_seconds
    quiet_since = None
    async with httpx.AsyncClient(timeout=30) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aioredis.RedisError, OSError, httpx.HTTPError):
                jobs = await job_index(d.redis)
                open_jobs = sum(1 for j in jobs.values() if j["state"] in ("queued", "running"))
                want = expected_photos(jobs)
                got = delivered(await telegram_calls(http, d),
                                await chat_messages(http, d, {c.chat_id for c in rec.commands}),
                                {j["id"] for j in jobs.values()})
                missing = sum(1 for k, n in want.items() if got[k] < n)
                if open_jobs == 0 and missing == 0:
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > 5:  # let final edits and late duplicates show
                        return rec.t()
                else:
                    quiet_since = None
            await asyncio.sleep(1.0)
    rec.note(f"drain bound of {args.drain_seconds:.0f} s reached")
    return rec.t()


async def collect_and_print(d: Deployment, rec: Record, drained_at: float, load_end: float) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        jobs = await job_index(d.redis)
        calls = await telegram_calls(http, d)
        tg_stats = (await http.get(f"{d.telegram_url}/_sandbox/stats")).json()
        nai = (await http.get(f"{d.novelai_url}/_sandbox/stats")).json()
        chats = {c.chat_id for c in rec.commands}
        messages = await chat_messages(http, d, chats)
        api_status: dict[str, tuple[int, dict[str, Any]]] = {}
        for job in rec.api_jobs:
            if job.task_id:
                r = await http.get(f"{d.api_url}/task_status/{job.task_id}",
                                   headers={"Authorization": f"Bearer {job.key}"})
                api_status[job.tag] = (r.status_code, r.json() if r.status_code == 200 else {})
    for r in nai["requests"]:
        rec.novelai_requests.setdefault((r["time"], r["path"], r["status"], r["account"]), r)
    events = await d.redis.xrange(f"{PREFIX}:events", "-", "+")

    rows: list[tuple[str, str]] = []
    # Commands: answered = a bot message replies to the command, or names its job.
    queued = answered = stuck_adding = refused = 0
    refusals: list[str] = []
    unanswered: list[str] = []
    for cmd in rec.commands:
        job = jobs.get(cmd.tag)
        bot_msgs = [m for m in messages.get(cmd.chat_id, []) if m["from_bot"]]
        replies = [m for m in bot_msgs if cmd.message_id is not None and m.get("reply_to_message_id") == cmd.message_id]
        names_job = job is not None and any(job["id"] in (m.get("text") or "") + (m.get("caption") or "")
                                            for m in bot_msgs)
        if job is not None:
            queued += 1
        if replies or names_job:
            answered += 1
            if job is None:
                texts = " ".join(m.get("text") or "" for m in replies)
                if "Adding your job" in texts:
                    stuck_adding += 1
                else:
                    refused += 1
                    first = (replies[0].get("text") or "").replace("\n", " ")[:60] if replies else ""
                    refusals.append(f"t={cmd.sent_at:.0f} '{first}'")
        else:
            unanswered.append(f"{cmd.tag}@t={cmd.sent_at:.0f}")
    rows.append(("Telegram /generate sent / answered / queued (got a job)",
                 f"{len(rec.commands)} / {answered} / {queued}; no answer at all: {len(unanswered)}"
                 + (f" ({', '.join(unanswered[:12])}{' ...' if len(unanswered) > 12 else ''})" if unanswered else "")
                 + f"; answered without a job: {refused} refused/told"
                 + (f" ({'; '.join(refusals[:6])})" if refusals else "")
                 + f", {stuck_adding} left on 'Adding your job…'"))
    api_codes = Counter(j.status for j in rec.api_jobs)
    accepted = sum(1 for j in rec.api_jobs if j.task_id)
    rows.append(("HTTP API jobs sent / accepted",
                 f"{len(rec.api_jobs)} / {accepted}; answers: "
                 + ", ".join(f"{code if code >= 0 else 'no answer'} x{n}" for code, n in sorted(api_codes.items()))))
    states = Counter(j["state"] for j in jobs.values())
    stuck = [j["id"] for j in jobs.values() if j["state"] in ("queued", "running")]
    rows.append(("jobs in Redis / final states", f"{len(jobs)}: " + ", ".join(f"{k} {v}" for k, v in
                 sorted(states.items())) + f"; stuck queued/running after the drain: {len(stuck)}"
                 + (f" ({', '.join(stuck[:10])})" if stuck else "")))

    # Generations per job at the stand-in (successful generation requests, by prompt tag).
    gens: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    lock_429: list[dict[str, Any]] = []
    for r in rec.novelai_requests.values():
        if not r["path"].startswith("/ai/generate-image") or "suggest" in r["path"]:
            continue
        match = TAG.search(json.dumps(r.get("body")))
        tag = match.group(0) if match else "?"
        if tag.startswith("fxws"):
            continue
        by_status[str(r["status"]) if r["status"] else "dropped"] += 1
        if r["status"] == 200:
            gens[tag] += 1
        if r["status"] == 429:
            lock_429.append(r)
    done_tags = [t for t, j in jobs.items() if j["state"] == "done"]
    twice = {t: n for t, n in gens.items() if n > 1}
    unseen = [t for t in done_tags if gens[t] == 0]
    twice_text = ", ".join(f"{jobs[t]['id'] if t in jobs else t} x{n}"
                           + (" (killed mid-job)" if t in jobs and jobs[t]["id"] in rec.killed_jobs else "")
                           for t, n in twice.items())
    rows.append(("generations per job at the NovelAI stand-in (200s by prompt tag)",
                 f"done jobs {len(done_tags)}: generated once {sum(1 for t in done_tags if gens[t] == 1)}, "
                 f"more than once {len(twice)}" + (f" ({twice_text})" if twice else "")
                 + f", not seen {len(unseen)}; request log polls full {rec.novelai_polls_full}, "
                 f"with a gap {rec.novelai_polls_gapped}"))
    rows.append(("NovelAI generation requests by status (bot only)",
                 ", ".join(f"{k} x{v}" for k, v in sorted(by_status.items()))))

    # Deliveries per done Telegram job.
    got = delivered(calls, messages, {j["id"] for j in jobs.values()})
    want = expected_photos(jobs)
    exact = sum(1 for k, n in want.items() if got[k] == n)
    missing = [f"{k} {got[k]}/{n}" for k, n in want.items() if got[k] < n]
    dup = [f"{k} {got[k]}/{n}" for k, n in want.items() if got[k] > n]
    canceled_with_photos = sum(1 for k in expected_photos(jobs, "canceled") if got[k])
    rows.append(("Telegram deliveries per done job (photos = n)",
                 f"{exact} / {len(want)} exactly once; missing {len(missing)}"
                 + (f" ({', '.join(missing[:8])})" if missing else "") + f"; duplicate {len(dup)}"
                 + (f" ({', '.join(dup[:8])})" if dup else "")
                 + f"; canceled jobs that got photos {canceled_with_photos}; photos matched to no job {got['?']}"))
    api_done = api_ok = api_consistent = 0
    for tag, (code, body) in api_status.items():
        j = jobs.get(tag)
        if code == 200 and j is not None:
            api_consistent += int(body.get("state") == j["state"])
            if j["state"] == "done":
                api_done += 1
                api_ok += int(len(body.get("images") or []) == int(j["job"]["request"].get("n_samples", 1)))
    rows.append(("HTTP API: task_status equal to Redis; done jobs with n images",
                 f"{api_consistent} / {len(api_status)}; {api_ok} / {api_done}"))

    bot_calls = [c for c in calls if c["method"] != "getUpdates"]
    too_many = Counter(c["method"] for c in calls if c["status"] == 429)
    rows.append(("Bot API 429s the bot got", f"{sum(too_many.values())}"
                 + (f" ({', '.join(f'{m} {n}' for m, n in too_many.items())})" if too_many else "")
                 + f"; stand-in counter {tg_stats['too_many_requests']}"))
    rows.append(("Bot API calls", ", ".join(f"{m} {n}" for m, n in Counter(c["method"] for c in bot_calls)
                                            .most_common())))
    attempts = len(rec.cancels)
    sent = [c for c in rec.cancels if c["sent"]]
    effective = sum(1 for c in sent if jobs.get(c["tag"], {}).get("state") == "canceled")
    effective_by = Counter(c["kind"] for c in sent if jobs.get(c["tag"], {}).get("state") == "canceled")
    rows.append(("cancels: attempts / sent / took effect",
                 f"{attempts} / {len(sent)} / {effective}; by kind "
                 + ", ".join(f"{k} {n} (took effect {effective_by[k]})"
                             for k, n in Counter(c["kind"] for c in rec.cancels).items())
                 + "".join(f"; {n} x {note}" for note, n in Counter(c["note"] for c in rec.cancels
                                                                   if c.get("note")).items())
                 + "".join(f"; API answered {code} x{n}" for code, n in Counter(
                     c["answer"] for c in rec.cancels if "answer" in c).items())))

    # Same-account overlaps: the stand-in's lock answers 429 to a second generation on one account.
    def injected(r: dict[str, Any]) -> bool:
        return any(d.tokens[a] and r["time"] >= s - 0.05 and r["time"] <= e + 0.05
                   and _account_of(nai, d, a) == r["account"] for a, s, e, _ in rec.outside)

    own = [r for r in lock_429 if not injected(r)]
    peaks = {name: nai["accounts"].get(_account_of(nai, d, name), {}).get("peak_concurrency") for name in "AC"}
    rows.append(("same-account overlaps at NovelAI (lock 429s not caused by an outside generation)",
                 f"{len(own)}; lock 429s caused by the {len(rec.outside)} outside generations (answered "
                 + ", ".join(str(o[3]) for o in rec.outside) + f") {len(lock_429) - len(own)}; peak_concurrency "
                 + ", ".join(f"{k}={v}" for k, v in peaks.items())))

    # Max queue gap: between consecutive started/done events while the queue had work.
    marks = sorted((int(eid.decode().split("-")[0]) / 1000, f[b"type"].decode()) for eid, f in events
                   if f.get(b"type") in (b"started", b"done"))
    ended: dict[str, float] = {}
    for eid, f in events:
        if f.get(b"type") in (b"done", b"failed", b"canceled") and f.get(b"job"):
            ended[f[b"job"].decode()] = int(eid.decode().split("-")[0]) / 1000
    spans = [(j["created"], ended.get(j["id"], float("inf"))) for j in jobs.values()]
    gap, gap_at = 0.0, 0.0
    for (a, _), (b, _) in itertools.pairwise(marks):
        # Only while some job was already there and not yet finished: an empty queue is no gap.
        if b - a > gap and any(c <= a and e >= b for c, e in spans):
            gap, gap_at = b - a, a - rec.t0
    rows.append(("max queue gap (consecutive started/done events while a job waited or ran)",
                 f"{gap:.1f} s, from t={gap_at:.1f}"))
    lost = 0
    tracebacks: Counter[str] = Counter()
    for log in sorted(d.procs.logs.glob("*.log")):
        text = log.read_text(errors="replace")
        lost += text.count("lost the lease")
        if text.count("Traceback"):
            tracebacks[log.stem] = text.count("Traceback")
    rows.append(("'lost the lease' warnings / tracebacks in the logs", f"{lost} / {sum(tracebacks.values())}"
                 + (f" ({', '.join(f'{k}.log {v}' for k, v in tracebacks.items())})" if tracebacks else "")))
    rows.append(("timing", f"load ended t={load_end:.1f}, drained t={drained_at:.1f}"))

    width = max(len(k) for k, _ in rows)
    print("\nfaults as run:")
    for line in rec.faults:
        print("  " + line)
    print(f"\n| {'check'.ljust(width)} | measured |\n|{'-' * (width + 2)}|---|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")


def _account_of(nai: dict[str, Any], d: Deployment, name: str) -> str:
    """The stand-in's key for account ``name`` (it keys token accounts by the token itself)."""
    tok = d.tokens[name]
    for key in nai["accounts"]:
        if key == tok or tok.startswith(key) or key.startswith(tok[:12]):
            return str(key)
    return tok


# -- main ----------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, procs: Processes, tmp: Path) -> None:
    rng = random.Random(args.seed)
    began = time.monotonic()
    d = await deploy(procs, tmp, rng)
    print(f"fault run: {os.cpu_count()} CPUs; {args.commands} Telegram commands from {args.users} users "
          f"({args.groups} groups), {args.api_jobs} API jobs, {args.cancels} cancels over {args.load_seconds:.0f} s; "
          f"seed {args.seed}; deployed in {time.monotonic() - began:.1f} s", flush=True)
    rec = Record(t0=time.time())
    stop = asyncio.Event()
    poller = asyncio.create_task(poll_novelai(d, rec, stop))
    try:
        await asyncio.gather(load(d, rec, args, rng), faults(d, rec, args))
        load_end = rec.t()
        rec.note("load and faults over; draining")
        drained = await drain(d, rec, args)
    finally:
        stop.set()
        await asyncio.gather(poller, return_exceptions=True)
    await collect_and_print(d, rec, drained, load_end)
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
        for log in procs.logs.glob("*.log"):
            shutil.copy(log, args.keep_logs / log.name)
    await d.redis.aclose()
    print(f"whole run {time.monotonic() - began:.0f} s")


def main() -> None:
    args = parse_args()

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with tempfile.TemporaryDirectory(prefix="naibot-fault-run-") as tmp_dir:
        procs = Processes(Path(tmp_dir))
        try:
            asyncio.run(run(args, procs, Path(tmp_dir)))
        except KeyboardInterrupt:
            print("interrupted: stopping every process started", file=sys.stderr)
        finally:
            procs.stop_all()


if __name__ == "__main__":
    main()
