"""A small reference model of LuaSys's documented semantics (docs/api.md "How the
loop runs", docs/scheduling.md), for the programs of program.py.

It predicts the exact log of a program in virtual time: each turn delivers every
published message in publish order to subscribers in subscription order (subscribers
added during a delivery start with the next message), then runs the tasks and timers
due when the turn began in deadline order, ties in scheduling order, delivering what
each publishes before the next runs; anything scheduled during a turn runs in a later
turn. Tasks are Python generators standing for coroutines.

With `strict_timing=True` (for real-time backends) it also records `ties`: moments
where the predicted order rests on a tie between deadlines (two live deadlines due at
the same ms, or a fixed-rate job finishing exactly on its next tick), which a real
clock may break either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from program import ERRING_SUBSCRIBER, Program

TURN_BUDGET = 64


class LuaError(Exception):
    """error("x") in the program."""


@dataclass(eq=False)
class Task:
    idx: object                 # the task's number, or ("job", j)
    gen: object = None
    entry: object = False       # seq of its pending wake-up, False: none; None: ended
    cancelled: bool = False
    waiting_on: object = None   # topic while in waitUntil
    running: bool = False


@dataclass(eq=False)
class Timer:
    slot: int
    ms: int
    loop: bool
    seq: object = None          # None once stopped


@dataclass(eq=False)
class Box:
    limit: int
    msgs: list = field(default_factory=list)
    waiter: object = None


class Model:
    def __init__(self, program: Program, strict_timing: bool = False):
        self.p = program
        self.strict = strict_timing
        self.ties: list[str] = []
        self.now = 0
        self.seq = 0
        self.entries: list = []          # [due, seq, item] live or stale, heap and pending alike
        self.flushed = 0                 # entries with seq <= flushed are in "the heap"
        self.mq: list = []
        self.subs: dict = {}             # topic -> list of subscribers (int slot or Task), None = hole
        self.busy: set = set()
        self.gone: dict = {}             # topic -> slots unsubscribed during its delivery
        self.log: list[tuple[int, str]] = []
        self.tasks: dict = {}            # idx -> Task, for T[i] once taskInit returned
        self.created: set = set()
        self.boxes: dict = {}
        self.timers: dict = {}           # slot -> pending Timer
        self.B: dict = {}
        self.TE: dict = {}
        self.jobs: dict = {}             # j -> Task (the handle, once sys.every returned)
        self.job_final: dict = {}
        self.JT: dict = {}
        self.current = None
        self.errors = {"task": 0, "timer": 0, "subscriber": 0}
        self.subscribe("SYS_ERROR", "err")

    # -- helpers ------------------------------------------------------------------------
    def L(self, what: str) -> None:
        self.log.append((self.now, what))

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def live(self, s, item) -> bool:
        if isinstance(item, Task):
            return item.entry == s
        return item.seq == s

    def schedule(self, due: int, item) -> int:
        s = self.next_seq()
        if self.strict:
            for d, s2, it in self.entries:
                if d == due and self.live(s2, it):
                    self.ties.append(f"two deadlines at {due} ms")
        self.entries.append([due, s, item])
        return s

    def report(self, kind: str) -> None:
        self.errors[kind] += 1
        self.publish("SYS_ERROR", kind)

    def publish(self, topic, value) -> None:
        self.mq.append((topic, value))

    # While a topic is being delivered, an unsubscribed slot is only marked gone: a
    # function in it still gets the message being delivered (the list as it was when the
    # delivery began), a task does not.
    def _present(self, topic, sub) -> int | None:
        gone = self.gone.get(topic, set())
        for i, each in enumerate(self.subs.get(topic, [])):
            if each == sub and i not in gone:
                return i
        return None

    def subscribe(self, topic, sub) -> bool:
        if self._present(topic, sub) is not None:
            return False
        self.subs.setdefault(topic, []).append(sub)
        return True

    def unsubscribe(self, topic, sub) -> None:
        i = self._present(topic, sub)
        if i is None:
            return
        if topic in self.busy:
            self.gone.setdefault(topic, set()).add(i)
        else:
            del self.subs[topic][i]

    # -- tasks --------------------------------------------------------------------------
    def end_task(self, t: Task) -> None:
        t.entry = None

    def resume(self, t: Task, value=None) -> None:
        outer, self.current = self.current, t
        t.running = True
        try:
            req = t.gen.send(value)
        except StopIteration:
            t.running = False
            self.current = outer
            self.end_task(t)
            return
        except LuaError:
            t.running = False
            self.current = outer
            self.end_task(t)
            self.report("task")
            return
        t.running = False
        self.current = outer
        kind, arg = req
        if kind == "suspend" and arg is not None:
            t.entry = self.schedule(self.now + arg, t)
        elif kind == "until_due":
            t.entry = self.schedule(arg, t)
        if t.cancelled:
            self.close(t)

    def close(self, t: Task) -> None:
        self.end_task(t)
        t.cancelled = True
        t.gen.close()

    def task_cancel(self, t: Task) -> bool:
        if t.entry is None:
            return False
        if t.running:
            t.cancelled = True
        else:
            self.close(t)
        return True

    def schedule_wake(self, t: Task, due: int) -> None:
        t.entry = self.schedule(due, t)

    def task_body(self, i: int, t: Task):
        spec = self.p.tasks[i]
        p = f"t{i}"
        self.L(f"{p} start")
        for step in spec.steps:
            op = step[0]
            if op == "wait":
                yield ("suspend", step[1])
                self.L(f"{p} woke")
            elif op == "until":
                _, topic, ms = step
                if self.subscribe(topic, t):
                    t.waiting_on = topic
                got = yield ("suspend", ms)
                if t.waiting_on is not None:
                    t.waiting_on = None
                    self.unsubscribe(topic, t)
                self.L(f"{p} until {topic} " + (f"true {got[1]}" if got else "false nil"))
            elif op == "pub":
                _, topic, n = step
                self.L(f"{p} pub {topic}{n}")
                self.publish(topic, f"{topic}{n}")
            elif op in ("tstart", "tloop"):
                _, k, ms, extra = step
                if op == "tstart":
                    self.B[k], self.TE[k] = None, bool(extra)
                else:
                    self.B[k], self.TE[k] = extra, False
                old = self.timers.get(k)
                if old:
                    old.seq = None
                tm = Timer(k, ms, op == "tloop")
                self.timers[k] = tm
                tm.seq = self.schedule(self.now + ms, tm)
            elif op == "tstop":
                self.L(f"{p} tstop {step[1]} " + str(self.timer_stop(step[1])).lower())
            elif op == "sub":
                self.subscribe(step[2], step[1])
            elif op == "unsub":
                self.unsubscribe(step[2], step[1])
            elif op == "cancel":
                j = step[1]
                target = self.tasks.get(j)
                self.L(f"{p} cancel t{j} " + ("none" if target is None else str(self.task_cancel(target)).lower()))
            elif op == "error":
                raise LuaError()
            elif op == "send":
                _, j, n = step
                self.L(f"{p} send mb{j} {n} " + self.send(j, n))
            elif op == "waitmsg":
                msg = yield from self.wait_msg(i, t, step[1])
                self.L(f"{p} msg " + ("false" if msg is None else str(msg)))
            elif op == "canceljob":
                j = step[1]
                h = self.jobs.get(j)
                self.L(f"{p} canceljob j{j} " + ("none" if h is None else str(self.job_cancel(j)).lower()))
        self.L(f"{p} end")

    # -- mailboxes ----------------------------------------------------------------------
    def send(self, j: int, n: int) -> str:
        box = self.boxes.get(j)
        if box is None:
            return "false no such mailbox"
        if len(box.msgs) >= box.limit:
            return "false mailbox full"
        box.msgs.append(n)
        if box.waiter is not None:
            w, box.waiter = box.waiter, None
            if w.entry is not None:        # a cancelled task is not woken
                self.schedule_wake(w, self.now)
        return "true nil"

    def wait_msg(self, i: int, t: Task, ms):
        box = self.boxes[i]
        deadline = None if not ms else self.now + ms
        while True:
            if box.msgs:
                return box.msgs.pop(0)
            remaining = None
            if deadline is not None:
                remaining = deadline - self.now
                if remaining <= 0:
                    return None
            box.waiter = t
            yield ("suspend", remaining)
            box.waiter = None

    # -- timers -------------------------------------------------------------------------
    def timer_stop(self, k: int) -> bool:
        tm = self.timers.pop(k, None)
        if tm is None:
            return False
        tm.seq = None
        return True

    def fire_timer(self, tm: Timer, due: int) -> None:
        k = tm.slot
        if not tm.loop:
            self.timers.pop(k, None)
            tm.seq = None
        else:
            missed = (self.now - due) // tm.ms
            tm.seq = self.schedule(due + (missed + 1) * tm.ms, tm)
        self.L(f"timer {k}")
        if self.B.get(k) is not None:
            self.B[k] -= 1
            if self.B[k] <= 0:
                self.timer_stop(k)
        if self.TE.get(k):
            self.report("timer")

    # -- periodic jobs ------------------------------------------------------------------
    def job_cancel(self, j: int) -> bool:
        h = self.jobs[j]
        if h.entry is None:
            return False
        self.task_cancel(h)
        return True

    def job_body(self, j: int, t: Task):
        job = self.p.jobs[j]
        due = self.now + job.ms
        while True:
            yield ("until_due", due)
            self.JT[j] = self.JT.get(j, 0) + 1
            self.L(f"j{j} tick {self.JT[j]}")
            if job.wait_ms:
                yield ("suspend", job.wait_ms)
                self.L(f"j{j} done")
            if self.JT[j] >= job.runs:
                self.L(f"j{j} self-cancel " + str(self.job_cancel(j)).lower())
            if job.policy == "delay":
                due = self.now + job.ms
            else:
                due += job.ms
                late = self.now - due
                if late == 0 and self.strict:
                    self.ties.append(f"j{j}'s run ends on its next tick")
                if late > 0:
                    missed = (late - 1) // job.ms + 1
                    due += missed * job.ms

    # -- the loop -----------------------------------------------------------------------
    def deliver(self, topic, value) -> None:
        lst = self.subs.get(topic)
        if not lst:
            return
        self.busy.add(topic)
        gone = self.gone.setdefault(topic, set())
        for i in range(len(lst)):
            s = lst[i]
            if s is None:
                continue
            if s == "err":
                self.L(f"err {value}")
            elif isinstance(s, int):
                self.L(f"sub {s} {value}")
                if s == ERRING_SUBSCRIBER:
                    self.report("subscriber")
            elif i not in gone:
                if s.entry is not None and not s.cancelled and not s.running:
                    if s.waiting_on == topic:
                        s.waiting_on = None
                        lst[i] = None
                    s.entry = False
                    self.resume(s, (topic, value))
                else:
                    lst[i] = None
        self.busy.discard(topic)
        self.subs[topic] = [s for i, s in enumerate(lst) if s is not None and i not in gone]
        del self.gone[topic]

    def dispatch(self) -> None:
        while self.mq:
            topic, value = self.mq.pop(0)
            self.deliver(topic, value)

    def run_due(self) -> None:
        heap = sorted((e for e in self.entries if e[1] <= self.flushed), key=lambda e: (e[0], e[1]))
        ran = 0
        for e in heap:
            due, s, item = e
            if due > self.now:
                break
            self.entries.remove(e)
            if not self.live(s, item):
                continue
            ran += 1
            assert ran <= TURN_BUDGET, "the model does not model the turn budget"
            if isinstance(item, Task):
                item.entry = False
                self.resume(item)
            else:
                self.fire_timer(item, due)
            self.dispatch()

    def run(self) -> list[tuple[int, str]]:
        for kind, idx in self.p.top:
            if kind == "task":
                spec = self.p.tasks[idx]
                t = Task(idx)
                t.gen = self.task_body(idx, t)
                if spec.kind == "mailbox":
                    self.boxes[idx] = Box(spec.limit)
                self.resume(t)
                self.tasks[idx] = t
            else:
                t = Task(("job", idx))
                t.gen = self.job_body(idx, t)
                self.resume(t)
                self.jobs[idx] = t
        turns = 0
        while True:
            turns += 1
            assert turns < 100_000, "the model's program does not end"
            self.dispatch()
            self.run_due()
            self.flushed = self.seq
            self.entries = [e for e in self.entries if self.live(e[1], e[2])]
            if not self.entries:
                break
            self.now = max(self.now, min(e[0] for e in self.entries))
        self.L("run idle")
        return self.log


def expected_log(program: Program, strict_timing: bool = False) -> tuple[list[tuple[int, str]], list[str]]:
    m = Model(program, strict_timing)
    return m.run(), m.ties
