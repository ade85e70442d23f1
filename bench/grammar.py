"""Benchmark of the chat grammar's worst case (issue 13, H1): prints figures, asserts nothing.

1. The security review's payload, ``girl@`` + n digits + ``,`` + n digits + `` 1``, read by the
   position expressions the fix replaced (kept here verbatim, for the "before" column; only small n,
   since the time grows as n³) and by today's ``CharacterPrompt.parse`` and ``parse_generate``.
2. A fixed corpus (seed 13: the review's payloads and 300 adversarial texts of 100 to 10,000
   characters, tests/fixtures/grammar.py) through every reader of the grammar (``ENTRY_POINTS``:
   /generate, each option, characters, positions, /settings, /group, /admin, Discord's options):
   the worst time of each reader, and the slowest inputs overall.

Times are CPU seconds of this thread with the garbage collector held off, each the best of three.
Run: ``.venv/bin/python bench/grammar.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import re
import time

from novelai.request import AUTO_POSITION, CharacterPrompt
from tests.fixtures.grammar import (
    BUDGET_SECONDS,
    ENTRY_POINTS,
    adversarial_corpus,
    cpu_seconds,
    review_character,
    review_message,
)

OLD_COORDINATES = re.compile(r"^\(?\s*([-+]?[0-9]*\.?[0-9]+)\s*[,;]\s*([-+]?[0-9]*\.?[0-9]+)\s*\)?$")
OLD_POSITION_LIKE = re.compile(rf"^(?:[A-Za-z]\d+|\(?[-+\d.\s]+[,;][-+\d.\s]+\)?|{AUTO_POSITION})$", re.IGNORECASE)


def old_position_read(spec: str) -> None:
    """What CharacterPrompt.parse did with the text after "@" before the fix."""
    tail = spec.rpartition("@")[2].strip()
    if OLD_POSITION_LIKE.match(tail):
        OLD_COORDINATES.match(tail)


def best(call: object, text: str, runs: int = 3) -> float:
    return min(cpu_seconds(call, text) for _ in range(runs))  # type: ignore[arg-type]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def review_payloads() -> None:
    print("1. The review's payload (girl@ + n digits + ',' + n digits + ' 1')")
    print(f"   {'n':>5} {'chars':>6} {'before (old regex)':>20} {'CharacterPrompt.parse':>22}")
    for n in (50, 100, 200, 400, 2_000, 4_995):
        text = review_character(n)
        before = ms(best(old_position_read, text, runs=1)) if n <= 400 else "(n³: not run)"
        print(f"   {n:>5} {len(text):>6} {before:>20} {ms(best(CharacterPrompt.parse, text)):>22}")
    for length in (4_098, 10_000):
        text = review_message(length)
        print(f"   /generate of {length} characters carrying it (449 s before at 4098): "
              f"parse_generate {ms(best(ENTRY_POINTS['generate'], text)).strip()}")


def corpus_run() -> None:
    corpus = adversarial_corpus()
    print(f"\n2. Fixed corpus: {len(corpus)} texts, {min(map(len, corpus))}–{max(map(len, corpus))} characters, "
          f"{len(ENTRY_POINTS)} readers ({len(corpus) * len(ENTRY_POINTS)} parses)")
    started = time.perf_counter()
    worst: dict[str, tuple[float, str]] = {}
    every: list[tuple[float, str, str]] = []
    for text in corpus:
        for name, call in ENTRY_POINTS.items():
            seconds = best(call, text)
            every.append((seconds, name, text))
            if seconds > worst.get(name, (-1.0, ""))[0]:
                worst[name] = (seconds, text)
    print(f"   {'reader':<26} {'worst':>12}   on")
    for name, (seconds, text) in sorted(worst.items(), key=lambda item: -item[1][0]):
        print(f"   {name:<26} {ms(seconds)}   {len(text):>5} chars {text[:40]!r}")
    every.sort(key=lambda row: -row[0])
    slowest = every[0]
    print(f"\n   worst parse over the corpus: {ms(slowest[0]).strip()} ({slowest[1]}, {len(slowest[2])} characters); "
          f"budget {BUDGET_SECONDS * 1000:.0f} ms; "
          f"median {ms(every[len(every) // 2][0]).strip()}; wall time {time.perf_counter() - started:.1f} s")


def main() -> None:
    review_payloads()
    corpus_run()


if __name__ == "__main__":
    main()
