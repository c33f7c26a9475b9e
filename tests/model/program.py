"""Random LuaSys programs for the model tests: the operations, and the Lua script that
performs them and logs every observable action as `<elapsed ms> <what>`."""

from __future__ import annotations

from dataclasses import dataclass, field

TOPICS = ("a", "b", "c")
TIMER_SLOTS = 4       # timer functions TF[0..3]; a timer is known by its function
SUBSCRIBERS = 3       # function subscribers S[0..2]; S[2] raises after logging
ERRING_SUBSCRIBER = 2


@dataclass
class TaskSpec:
    kind: str                      # "plain" (sys.taskInit) or "mailbox" (sys.taskInitEx, box "mb<i>")
    limit: int = 64                # the mailbox's capacity
    steps: list = field(default_factory=list)


@dataclass
class JobSpec:
    ms: int
    policy: str                    # "rate" or "delay"
    wait_ms: int                   # the job's body waits this long (0: no wait)
    runs: int                      # it cancels itself in its run number `runs`


@dataclass
class Program:
    """`top` is the main script's order of creation: ("task", i) and ("job", j)."""
    tasks: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    top: list = field(default_factory=list)


# Steps of a task body (tuples):
#   ("wait", ms)                   sys.wait(ms)
#   ("until", topic, ms)           sys.waitUntil(topic, ms); logs the result
#   ("pub", topic, n)              sys.publish(topic, topic .. n)
#   ("tstart", k, ms, err)         sys.timerStart(TF[k], ms); the callback raises if err
#   ("tloop", k, ms, budget)       sys.timerLoopStart(TF[k], ms); it stops itself after `budget` calls
#   ("tstop", k)                   sys.timerStop(TF[k]); logs the result
#   ("sub", s, topic) / ("unsub", s, topic)   function subscriber S[s]
#   ("cancel", j)                  sys.taskCancel(T[j]); logs the result ("none" before T[j] exists)
#   ("error",)                     error("x")
#   ("send", j, n)                 sys.sendMsg("mb<j>", n); logs the result
#   ("waitmsg", ms | None)         sys.waitMsg("mb<i>", nil, ms) in a mailbox task; logs the message
#   ("canceljob", j)               J[j]:cancel(); logs the result


def _q(s: str) -> str:
    return '"' + s + '"'


def step_lua(i: int, step: tuple) -> str:
    op = step[0]
    p = f"t{i}"
    if op == "wait":
        return f'sys.wait({step[1]}); L("{p} woke")'
    if op == "until":
        _, topic, ms = step
        return (f'do local ok, v = sys.waitUntil({_q(topic)}, {ms}); '
                f'L("{p} until {topic} " .. tostring(ok) .. " " .. tostring(v)) end')
    if op == "pub":
        _, topic, n = step
        return f'L("{p} pub {topic}{n}"); sys.publish({_q(topic)}, "{topic}{n}")'
    if op == "tstart":
        _, k, ms, err = step
        return f'B[{k}] = nil; TE[{k}] = {"true" if err else "false"}; sys.timerStart(TF[{k}], {ms})'
    if op == "tloop":
        _, k, ms, budget = step
        return f'B[{k}] = {budget}; TE[{k}] = false; sys.timerLoopStart(TF[{k}], {ms})'
    if op == "tstop":
        return f'L("{p} tstop {step[1]} " .. tostring(sys.timerStop(TF[{step[1]}])))'
    if op == "sub":
        return f'sys.subscribe({_q(step[2])}, S[{step[1]}])'
    if op == "unsub":
        return f'sys.unsubscribe({_q(step[2])}, S[{step[1]}])'
    if op == "cancel":
        j = step[1]
        return (f'if T[{j}] then L("{p} cancel t{j} " .. tostring(sys.taskCancel(T[{j}]))) '
                f'else L("{p} cancel t{j} none") end')
    if op == "error":
        return 'error("x")'
    if op == "send":
        _, j, n = step
        return (f'do local ok, why = sys.sendMsg("mb{j}", {n}); '
                f'L("{p} send mb{j} {n} " .. tostring(ok) .. " " .. tostring(why)) end')
    if op == "waitmsg":
        ms = "nil" if step[1] is None else str(step[1])
        return (f'do local m = sys.waitMsg("mb{i}", nil, {ms}); '
                f'L("{p} msg " .. (m and tostring(m[1]) or "false")) end')
    if op == "canceljob":
        j = step[1]
        return (f'if J[{j}] then L("{p} canceljob j{j} " .. tostring(J[{j}]:cancel())) '
                f'else L("{p} canceljob j{j} none") end')
    raise ValueError(step)


def to_lua(program: Program) -> str:
    out = [
        # The parts of sys that load on first use load here, before the clock starts: on
        # the native build loading one takes real milliseconds the model does not model.
        "local _ = sys.timerStart, sys.every, sys.taskInitEx",
        "local t0 = rtos.millis()",
        'local function L(s) print(string.format("%d %s", sys.ticksDiff(rtos.millis(), t0), s)) end',
        'sys.subscribe("SYS_ERROR", function(e) L("err " .. e.kind) end)',
        "local T, J, JT, B, TE, TF, S = {}, {}, {}, {}, {}, {}, {}",
    ]
    for k in range(TIMER_SLOTS):
        out.append(f'TF[{k}] = function() L("timer {k}"); '
                   f'if B[{k}] then B[{k}] = B[{k}] - 1; if B[{k}] <= 0 then sys.timerStop(TF[{k}]) end end; '
                   f'if TE[{k}] then error("x") end end')
    for s in range(SUBSCRIBERS):
        tail = ' error("x")' if s == ERRING_SUBSCRIBER else ""
        out.append(f'S[{s}] = function(v) L("sub {s} " .. tostring(v));{tail} end')
    for kind, idx in program.top:
        if kind == "task":
            spec = program.tasks[idx]
            body = [f'L("t{idx} start")'] + [step_lua(idx, st) for st in spec.steps] + [f'L("t{idx} end")']
            fn = "function()\n    " + "\n    ".join(body) + "\nend"
            if spec.kind == "mailbox":
                out.append(f"sys.setMailboxLimit({spec.limit})")
                out.append(f'T[{idx}] = sys.taskInitEx({fn}, "mb{idx}")')
            else:
                out.append(f"T[{idx}] = sys.taskInit({fn})")
        else:
            job = program.jobs[idx]
            wait = f' sys.wait({job.wait_ms}); L("j{idx} done");' if job.wait_ms else ""
            out.append(
                f"JT[{idx}] = 0\n"
                f"J[{idx}] = sys.every({job.ms}, function() JT[{idx}] = JT[{idx}] + 1; "
                f'L("j{idx} tick " .. JT[{idx}]);{wait} '
                f'if JT[{idx}] >= {job.runs} then L("j{idx} self-cancel " .. tostring(J[{idx}]:cancel())) end '
                f'end, {{ policy = "{job.policy}" }})')
    out.append('L("run " .. tostring(sys.run()))')
    return "\n".join(out) + "\n"
