"""Stateful property tests: random LuaSys programs, run on a backend, checked against
the reference model (model.py) of the documented semantics.

Hypothesis's rules build a program (tasks with straight-line bodies of waits,
waitUntil, publish, timers, subscriptions, cancellations, errors, mailboxes; periodic
jobs of both policies); at the end of each example the program runs as a Lua script
and every line it logged (`<elapsed ms> <what>`) must equal the model's prediction.

- Simulator (virtual time, Lua 5.4; the other Lua versions with fewer examples): the
  whole log is compared exactly, times included. Durations are small (0..30 ms, zero
  included), so ties between deadlines are common and their order (scheduling order)
  is checked.
- Native backend (real time): only what does not depend on the clock's precision is
  compared. Every duration is a multiple of 10 ms, and a program is kept only while
  the model finds no tie in it (no two live deadlines at the same ms, no fixed-rate
  job whose run ends exactly on its next tick): so every ordering in it is separated
  by at least 10 ms. Then the sequence of events and every return value must equal the
  model's, and each event's elapsed time must be at least the model's (the runtime
  never runs anything early). Its jobs use the fixed-delay policy only: a fixed-rate
  run that ends on its next tick is a tie that a millisecond of lateness decides, and
  the model cannot see every such tie in advance; the simulator checks both policies. Skipped if build/native is not built, unless
  LUASYS_REQUIRE_NATIVE=1.

Examples per run (programs of up to 50 operations): 100 on the simulator (Lua 5.4),
15 on 5.3/5.5 and 15 on native;
LUASYS_PROPERTY_EXAMPLES=N sets all of them to N for a long run, e.g.
`LUASYS_PROPERTY_EXAMPLES=2000 .venv/bin/pytest tests/model`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends import REPO, native_binary  # noqa: E402
from host_sim import Simulator  # noqa: E402
from luasys import child_process  # noqa: E402
from model import expected_log  # noqa: E402
from program import SUBSCRIBERS, TIMER_SLOTS, TOPICS, JobSpec, Program, TaskSpec, to_lua  # noqa: E402

LONG = os.environ.get("LUASYS_PROPERTY_EXAMPLES")
MAX_TASKS, MAX_JOBS = 5, 2
LINE_RE = re.compile(r"^(-?\d+) (.*)$")


def examples(default: int) -> int:
    return int(LONG) if LONG else default


def parse(output: str) -> list[tuple[int, str]]:
    """The program's log lines; the runtime's own error reports are left out."""
    return [(int(m.group(1)), m.group(2)) for m in map(LINE_RE.match, output.splitlines()) if m]


def run_sim(script: Path, version: str) -> str:
    sim = Simulator(lua_version=version, virtual_time=True, capture=True, output=lambda _: None)
    result = sim.run_file(script)
    return "\n".join(result.output + ([result.error] if result.error else []))


def run_native(script: Path) -> str:
    done = child_process.run([str(native_binary("native")), "--exit-when-idle", str(script)], 60,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return done.stdout + "\n" + done.stderr


class ProgramMachine(RuleBasedStateMachine):
    """Builds a random program; teardown runs it and compares with the model."""

    backend = "sim-5.4"
    durations = st.sampled_from([0, 1, 5, 10, 20, 30])
    positive = st.sampled_from([1, 5, 10, 20, 30])
    rate_jobs = True  # both job policies; see machine_for

    def __init__(self):
        super().__init__()
        self.program = Program()
        self.strict = not self.backend.startswith("sim-")

    # -- keeping the program within what the model predicts exactly ---------------------
    def keep(self, undo) -> None:
        """On a real-time backend, drops the last change if it makes the order rest on a tie."""
        if self.strict and expected_log(self.program, strict_timing=True)[1]:
            undo()

    def add_step(self, i: int, step: tuple) -> None:
        if not self.program.tasks:
            return
        task = self.program.tasks[i % len(self.program.tasks)]
        if len(task.steps) >= 8:
            return
        task.steps.append(step)
        self.keep(task.steps.pop)

    @initialize(kinds=st.lists(st.booleans(), min_size=1, max_size=3), limit=st.integers(1, 3))
    def first_tasks(self, kinds, limit):
        for mailbox in kinds:
            self.add_task(mailbox, limit)

    @precondition(lambda self: len(self.program.tasks) < MAX_TASKS)
    @rule(mailbox=st.booleans(), limit=st.integers(1, 3))
    def add_task(self, mailbox, limit):
        p = self.program
        p.tasks.append(TaskSpec("mailbox" if mailbox else "plain", limit))
        p.top.append(("task", len(p.tasks) - 1))

    @precondition(lambda self: len(self.program.jobs) < MAX_JOBS)
    @rule(data=st.data(), policy=st.sampled_from(["rate", "delay"]), runs=st.integers(1, 4))
    def add_job(self, data, policy, runs):
        p = self.program
        policy = policy if self.rate_jobs else "delay"
        ms = data.draw(self.positive)
        wait = data.draw(st.one_of(st.just(0), self.positive))
        p.jobs.append(JobSpec(ms, policy, wait, runs))
        p.top.append(("job", len(p.jobs) - 1))

        def undo():
            p.jobs.pop()
            p.top.pop()
        self.keep(undo)

    @rule(i=st.integers(0, MAX_TASKS - 1), data=st.data())
    def wait(self, i, data):
        self.add_step(i, ("wait", data.draw(self.durations)))

    @rule(i=st.integers(0, MAX_TASKS - 1), topic=st.sampled_from(TOPICS), data=st.data())
    def wait_until(self, i, topic, data):
        self.add_step(i, ("until", topic, data.draw(self.durations)))

    @rule(i=st.integers(0, MAX_TASKS - 1), topic=st.sampled_from(TOPICS), n=st.integers(0, 9))
    def publish(self, i, topic, n):
        self.add_step(i, ("pub", topic, n))

    @rule(i=st.integers(0, MAX_TASKS - 1), k=st.integers(0, TIMER_SLOTS - 1), err=st.booleans(), data=st.data())
    def timer_start(self, i, k, err, data):
        self.add_step(i, ("tstart", k, data.draw(self.durations), err))

    @rule(i=st.integers(0, MAX_TASKS - 1), k=st.integers(0, TIMER_SLOTS - 1), budget=st.integers(1, 4),
          data=st.data())
    def timer_loop(self, i, k, budget, data):
        self.add_step(i, ("tloop", k, data.draw(self.positive), budget))

    @rule(i=st.integers(0, MAX_TASKS - 1), k=st.integers(0, TIMER_SLOTS - 1))
    def timer_stop(self, i, k):
        self.add_step(i, ("tstop", k))

    @rule(i=st.integers(0, MAX_TASKS - 1), s=st.integers(0, SUBSCRIBERS - 1), topic=st.sampled_from(TOPICS),
          unsubscribe=st.booleans())
    def subscription(self, i, s, topic, unsubscribe):
        self.add_step(i, ("unsub" if unsubscribe else "sub", s, topic))

    @rule(i=st.integers(0, MAX_TASKS - 1), j=st.integers(0, MAX_TASKS - 1))
    def cancel(self, i, j):
        self.add_step(i, ("cancel", j % max(1, len(self.program.tasks))))

    @rule(i=st.integers(0, MAX_TASKS - 1))
    def raise_error(self, i):
        self.add_step(i, ("error",))

    @rule(i=st.integers(0, MAX_TASKS - 1), j=st.integers(0, MAX_TASKS - 1), n=st.integers(0, 9))
    def send(self, i, j, n):
        self.add_step(i, ("send", j % max(1, len(self.program.tasks)), n))

    @rule(i=st.integers(0, MAX_TASKS - 1), data=st.data())
    def wait_msg(self, i, data):
        tasks = self.program.tasks
        if tasks and tasks[i % len(tasks)].kind == "mailbox":
            self.add_step(i, ("waitmsg", data.draw(st.one_of(st.none(), self.positive))))

    @precondition(lambda self: self.program.jobs)
    @rule(i=st.integers(0, MAX_TASKS - 1), j=st.integers(0, MAX_JOBS - 1))
    def cancel_job(self, i, j):
        self.add_step(i, ("canceljob", j % len(self.program.jobs)))

    # -- the check ----------------------------------------------------------------------
    def teardown(self):
        if not self.program.top:
            return
        expected, ties = expected_log(self.program, strict_timing=self.strict)
        assert not ties
        script_text = to_lua(self.program)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "program.lua"
            script.write_text(script_text)
            if self.strict:
                output = run_native(script)
            else:
                output = run_sim(script, self.backend.split("-")[1])
        actual = parse(output)
        context = f"\n--- program ---\n{script_text}\n--- output ---\n{output}"
        if self.strict:
            assert [w for _, w in actual] == [w for _, w in expected], (
                "events differ:\n" + diff(expected, actual) + context)
            early = [(e, a) for e, a in zip(expected, actual) if a[0] < e[0]]
            assert not early, f"ran before its time: {early}" + context
        else:
            assert actual == expected, "log differs:\n" + diff(expected, actual) + context


def diff(expected, actual) -> str:
    import difflib
    fmt = lambda log: [f"{t} {w}" for t, w in log]  # noqa: E731
    return "\n".join(difflib.unified_diff(fmt(expected), fmt(actual), "model", "runtime", lineterm=""))


DB = DirectoryBasedExampleDatabase(str(REPO / ".cache" / "hypothesis"))


def machine_for(backend: str, default_examples: int):
    cls = type(f"Program_{backend.replace('-', '_').replace('.', '')}", (ProgramMachine,), {"backend": backend})
    if backend == "native":
        cls.durations = st.sampled_from([10, 20, 30, 40, 50, 60, 70, 80, 90])
        cls.positive = cls.durations
        # In real time a fixed-rate run that ends on its next tick is a tie that 1 ms of
        # lateness decides; the simulator checks the rate policy exactly, in virtual time.
        cls.rate_jobs = False
    cls.TestCase.settings = settings(max_examples=examples(default_examples), deadline=None,
                                     stateful_step_count=50, database=DB,
                                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    return cls


SimLua54 = machine_for("sim-5.4", 100)
SimLua53 = machine_for("sim-5.3", 15)
SimLua55 = machine_for("sim-5.5", 15)
NativeMachine = machine_for("native", 15)


@pytest.mark.parametrize("machine", [SimLua54, SimLua53, SimLua55], ids=["sim-5.4", "sim-5.3", "sim-5.5"])
def test_simulator_matches_model(machine):
    machine.TestCase().runTest()


def test_native_matches_model():
    native_binary("native")  # skips (or fails with LUASYS_REQUIRE_NATIVE=1) when not built
    NativeMachine.TestCase().runTest()
