"""What a user sees on a device's console: the banner, pushed scripts running, timers,
pub/sub, errors that do not reboot, and uploads that are atomic and verified. Runs on
every device the plugin's `device` fixture reaches (docs/testing.md#the-device-fixture):
the simulator and the native build here, and unchanged on ESP-IDF's linux target or a
board (`--luasys-device dut` with pytest-embedded's options)."""

from __future__ import annotations

import re
import time

import pytest

from luasys import protocol as p
from luasys.console_client import ConsoleError

IDLE_LOOP = "print('loop running')\nsys.run()\n"


def start_loop(device) -> None:
    device.start("t_loop.lua", IDLE_LOOP)
    device.expect("loop running")


def request(device, tag: str, verb: str, *args: object) -> tuple[str, list[str]]:
    """A request written by hand (to test the console itself); its reply's status and
    arguments."""
    device.write(p.encode_request(tag, verb, *args))
    return reply(device, tag)


def reply(device, tag: str) -> tuple[str, list[str]]:
    match = device.expect(re.compile(re.escape(p.MARKER.decode() + tag) + r" (READY|OK|DATA|ERR) ?(.*)")).match
    return match.group(1), match.group(2).split()


def test_banner_names_the_version(device):
    status, args = request(device, "h1", "hello")
    assert status == p.OK
    assert re.fullmatch(r"LuaSys-\d+\.\d+\.\d+", args[0]) and args[1] == str(p.PROTOCOL_VERSION)


def test_pushed_script_runs_and_prints(device):
    device.start("t_hello.lua", "for i = 1, 3 do print('line ' .. i) end\nsys.run()\n")
    for i in range(1, 4):
        device.expect(f"line {i}")


def test_timers_fire_in_order(device):
    device.start("t_timers.lua", """
for _, ms in ipairs({ 60, 20, 40 }) do
    sys.timerStart(function() print("timer " .. ms) end, ms)
end
sys.timerStart(function() print("timers done") end, 80)
sys.run()
""")
    before = device.expect("timers done").before
    assert [line for line in before if line.startswith("timer ")] == ["timer 20", "timer 40", "timer 60"]


def test_publish_reaches_subscribers_in_order(device):
    device.start("t_pubsub.lua", """
sys.subscribe("TEMP", function(v) print("first got " .. v) end)
sys.subscribe("TEMP", function(v) print("second got " .. v) end)
sys.taskInit(function()
    local ok, v = sys.waitUntil("ACK", 1000)
    print("task got ack " .. tostring(v))
end)
sys.taskInit(function()
    sys.publish("TEMP", 21)
    sys.wait(10)
    sys.publish("ACK", "yes")
end)
sys.run()
""")
    device.expect("first got 21")
    device.expect("second got 21")
    device.expect("task got ack yes")


def test_task_error_is_reported_and_the_loop_goes_on(device):
    device.start("t_error.lua", """
sys.taskInit(function() sys.wait(10); error("boom in task") end)
sys.timerStart(function() print("still running") end, 50)
sys.run()
""")
    device.expect("boom in task")
    before = device.expect("still running").before
    assert not any(p.BANNER_RE.search(line.encode()) for line in before), "the device rebooted"
    device.line("print('alive', 6 * 7)")
    device.expect("alive\t42")


def test_repl_prints_values_and_errors(device):
    start_loop(device)
    device.line("1 + 2, 'three'")
    device.expect("3\tthree")
    device.line("error('bad line')")
    device.expect(re.compile(r"console: error: .*bad line"))
    assert device.eval("return 6 * 7") == "42"
    with pytest.raises(ConsoleError, match="bad eval"):
        device.eval("error('bad eval')")


def test_an_eval_error_is_answered_with_its_first_line_cut_at_the_limit(device):
    """rtos.console_reply's ERR lua is one line of at most LUA_ERROR_MAX bytes, the same
    on every device (the simulator once joined every line and cut nothing)."""
    start_loop(device)
    with pytest.raises(ConsoleError) as error:
        device.eval('error("a\\nb")')
    assert (error.value.code, error.value.message) == ("lua", "console:1: a")
    with pytest.raises(ConsoleError) as error:
        device.eval(f'error(("x"):rep({p.LUA_ERROR_MAX + 100}) .. "\\r\\nsecond", 0)')
    assert error.value.message == "x" * p.LUA_ERROR_MAX


def test_a_console_reply_to_a_string_that_is_no_tag_sends_nothing(device):
    start_loop(device)
    tags = ["", "A", "a b", "a\\0b", "x" * 9, "\\xe4"]
    calls = " .. ".join(f'tostring(rtos.console_reply("{tag}", true, "x"))' for tag in tags)
    assert device.eval(f"return {calls}") == "false" * len(tags)
    assert device.eval("return 6 * 7") == "42"


def test_a_busy_line_is_interrupted_after_the_watchdog_was_switched_off(device):
    # sys.setWatchdog(nil) used to remove the console's stop/interrupt hook with its own,
    # from the main thread (the script) and from the task that switched it (the line).
    device.start("t_watchdog_off.lua", "sys.setWatchdog(100)\nsys.setWatchdog(nil)\n" + IDLE_LOOP)
    device.expect("loop running")
    device.line("sys.setWatchdog(100) sys.setWatchdog(nil) print('spin' .. 'ning') while true do end")
    device.expect("spinning")
    device.client.interrupt()
    device.expect(re.compile(r"console: error: .*interrupted"))
    assert device.eval("return 6 * 7") == "42"


def test_describe_shows_the_runtime(device):
    start_loop(device)
    text = device.client.describe()
    assert "version=LuaSys-" in text and "lua_heap:" in text
    assert "stats:" in text and "published=" in text  # sys.stats()
    assert "LuaSys at " in text and " tasks, " in text  # the table of sys.describe()


def test_crc_mismatch_is_rejected_and_the_old_script_stays(device):
    device.push("t_keep.lua", "print('version one')\n")
    bad = b"print('version two')\n"
    assert request(device, "crc1", "put", "t_keep.lua", len(bad), f"{p.crc32(bad) ^ 1:08x}")[0] == p.READY
    device.write(bad)
    status, args = reply(device, "crc1")
    assert (status, args[0]) == (p.ERR, "crc")
    assert device.get("t_keep.lua") == b"print('version one')\n"


def test_interrupted_upload_times_out_and_the_old_script_stays(device):
    device.push("t_cut.lua", "print('intact')\n")
    data = b"print('half written')\n"
    assert request(device, "cut1", "put", "t_cut.lua", len(data), f"{p.crc32(data):08x}")[0] == p.READY
    device.write(data[:5])  # and then nothing: the device gives up after its idle timeout
    status, args = reply(device, "cut1")
    assert (status, args[0]) == (p.ERR, "timeout")
    device.write(b"\n" * (len(data) - 5))  # the bytes the device still discards (docs: resynchronising)
    assert device.get("t_cut.lua") == b"print('intact')\n"


def test_bad_input_is_answered_and_harmless(device):
    start_loop(device)
    device.write(b"\x01zz9 frobnicate\n")
    assert reply(device, "zz9") == (p.ERR, ["unknown-command", "unknown", "command", "'frobnicate'"])
    device.write(b"\x01 !! put\n")
    device.expect(re.compile("\x01- ERR bad-frame"))
    device.write(b"x" * (p.LINE_MAX + 10) + b"\n")
    device.expect("line longer than")
    device.write(bytes(range(0x80, 0xFF)) + b"\n")
    device.expect("console: error:")
    status, args = request(device, "bp1", "put", "../escape.lua", 1, "00000000")
    assert (status, args[0]) == (p.ERR, "bad-path")
    status, args = request(device, "tl1", "put", "big.lua", p.FILE_MAX + 1, "00000000")
    assert (status, args[0]) == (p.ERR, "too-large")
    device.line("print('still fine')")
    device.expect("still fine")


def test_the_tail_of_a_stalled_upload_is_never_run(device):
    """Found by attacking the protocol: after `ERR timeout` the rest of the payload ran
    as REPL lines. The device discards exactly the bytes the upload still lacked."""
    start_loop(device)
    data = b"-- a script\n" + b"print('TAIL RAN')\n" * 4
    assert request(device, "st1", "put", "t_stall.lua", len(data), f"{p.crc32(data):08x}")[0] == p.READY
    device.write(data[:5])  # then a pause past the device's idle timeout: wait for its reply
    status, args = reply(device, "st1")
    missing = len(data) - 5
    assert (status, " ".join(args)) == (p.ERR, f"timeout payload stalled with {missing} of {len(data)} bytes "
                                               f"missing (the next {missing} bytes received are discarded)")
    device.write(data[5:])  # the late rest
    device.line("print('after the tail')")
    before = device.expect("after the tail").before
    assert not any("TAIL RAN" in line for line in before), before
    assert request(device, "st2", "get", "t_stall.lua")[0] == p.ERR


def test_the_console_names_are_reserved(device):
    """An upload writes <path>.part: a file of that name could be overwritten; the boot
    counter .safe_mode could be forged or cleared behind safe mode's back."""
    device.push("t_real.lua", "x = 1\n")
    for verb, args in (("put", ("t_real.lua.part", 1, "00000000")), ("put", ("d.part/x.lua", 1, "00000000")),
                       ("put", (".safe_mode", 1, "00000000")), ("rm", (".safe_mode",)),
                       ("get", (".safe_mode",)), ("rm", ("t_real.lua.part",))):
        status, reply_args = request(device, "rs1", verb, *args)
        assert (status, reply_args[0]) == (p.ERR, "bad-path"), (verb, args, reply_args)
        assert reply_args[-1] == "safe-clear)", reply_args  # the message says why
    assert device.get("t_real.lua") == b"x = 1\n"


def test_a_failed_nested_upload_leaves_no_directories(device):
    data = b"print('nested')\n"
    device.push("t_n1/keep.lua", "x = 1\n")
    assert request(device, "fn1", "put", "t_n1/t_n2/t_n3/f.lua", len(data), f"{p.crc32(data) ^ 1:08x}")[0] == p.READY
    device.write(data)
    assert reply(device, "fn1")[1][0] == "crc"
    status, _ = request(device, "fn2", "ls", "t_n1")
    assert status == p.DATA
    listing = device.expect(re.compile(r"^\d+ \S+$")).line
    assert listing == "6 keep.lua", listing  # t_n1 was there before; t_n2 is gone
    assert request(device, "fn3", "ls", "t_n1/t_n2")[:2] == (p.ERR, ["not-found", "no", "directory", "t_n1/t_n2"])


def test_mkdir_names_the_file_in_the_way(device):
    """A file where mkdir needs a directory is a bad path on every device, whether it is
    the path itself or one of its leading parts (that once answered `ERR io ... Not a
    directory`)."""
    device.push("t_in_the_way.lua", "x = 1\n")
    in_the_way = (p.ERR, ["bad-path", "t_in_the_way.lua", "is", "a", "file"])
    assert request(device, "mk1", "mkdir", "t_in_the_way.lua") == in_the_way
    assert request(device, "mk2", "mkdir", "t_in_the_way.lua/x") == in_the_way
    assert request(device, "mk3", "mkdir", "/t_in_the_way.lua/x/y") == in_the_way
    assert device.get("t_in_the_way.lua") == b"x = 1\n"


def test_line_and_header_limits_are_the_same_on_every_device(device):
    start_loop(device)
    code = "print('limit line ok')"
    device.write((code + " " * (p.LINE_MAX - len(code))).encode() + b"\r\n")  # 1,024 bytes + CRLF
    device.expect("limit line ok")
    device.write((code + " " * (p.LINE_MAX + 1 - len(code))).encode() + b"\r\n")
    device.expect(f"console: error: line longer than {p.LINE_MAX} bytes discarded")
    device.write(b"\x01hb1 get t\tab.lua\n")  # a control byte in a header
    assert reply(device, "-") == (p.ERR, ["bad-frame", "a", "header", "must", "be", "printable", "ASCII"])
    assert request(device, "hb2", "get", "t_n1")[:2] in ((p.ERR, ["not-found", "no", "file", "t_n1"]),)


@pytest.mark.parametrize("chunk", ["while true do end", "sys.wait(600000)", "sys.waitUntil('NEVER')"])
def test_an_interrupt_ends_the_console_chunk_running_or_waiting(device, chunk):
    """The REPL's Ctrl-C: a chunk that spins is stopped by the count hook, one parked in
    a wait is cancelled; either answers "interrupted", and the program goes on."""
    start_loop(device)
    device.eval("ticks = 0 sys.timerLoopStart(function() ticks = ticks + 1 end, 10)")
    tag = device.client.eval_send(chunk)
    device.client.interrupt()
    with pytest.raises(ConsoleError) as error:
        device.client.eval_result(tag)
    assert (error.value.code, error.value.message) == ("lua", "interrupted")
    assert device.eval("local before = ticks sys.wait(50) return ticks > before") == "true"


def clocks(description: str) -> tuple[int, int]:
    """describe's (uptime_ms, millis): the device's time since boot, the run's clock."""
    return tuple(int(re.search(rf"^{name}=(\d+)$", description, re.M).group(1)) for name in ("uptime_ms", "millis"))


def test_describe_shows_the_uptime_which_a_new_run_does_not_restart(device):
    start_loop(device)
    before, _ = clocks(device.client.describe())
    asked = time.monotonic()
    start_loop(device)
    after, run_clock = clocks(device.client.describe())
    assert after > before  # the device's uptime went on
    assert run_clock <= (time.monotonic() - asked) * 1000  # the new run's clock began after it was asked for


IDLE_RUN = """
sys.timerStart(function() print("timer fired") end, 30)
sys.taskInit(function() sys.wait(10) print("task done") end)
sys.run()
print("sys.run returned")
"""


def test_a_run_until_idle_ends_with_its_last_timer_and_answers_after_its_output(device):
    device.push("t_idle.lua", IDLE_RUN)
    ending, printed = device.run_until_idle("t_idle.lua")
    assert ending == "finished"
    assert [line for line in printed if not line.startswith(("luasys:", "I ("))] == [
        "task done", "timer fired", "sys.run returned"]
    # The console is still there, ready for the next run.
    device.push("t_fail.lua", "sys.run()\nerror('after the loop')\n")
    ending, printed = device.run_until_idle("t_fail.lua")
    assert ending == "error"


def test_a_run_until_idle_that_another_run_stops_is_answered_stopped_first(device):
    device.push("t_forever.lua", "print('loop running')\nsys.timerLoopStart(function() end, 50)\nsys.run()\n")
    device.write(p.encode_request("i1", "run", "t_forever.lua", p.RUN_IDLE))
    assert reply(device, "i1") == (p.OK, [])
    device.expect("loop running")
    device.write(p.encode_request("i2", "run", "t_forever.lua"))
    assert reply(device, "i1") == (p.OK, ["stopped"])
    assert reply(device, "i2") == (p.OK, [])
    device.expect("loop running")


def test_run_takes_only_idle_after_its_path(device):
    device.push("t_idle.lua", IDLE_RUN)
    status, args = request(device, "i3", "run", "t_idle.lua", "busy")
    assert (status, args[0]) == (p.ERR, "bad-frame") and "'idle'" in args
    status, args = request(device, "i4", "run", "t_idle.lua", p.RUN_IDLE, "x")
    assert (status, args[0]) == (p.ERR, "bad-frame")


# Writes, beside itself, a binary chunk of the device's own Lua (string.dump), the same
# cut short, and the same marked as another Lua version.
CHUNK_MAKER = """\
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local chunk = string.dump(function() print("from a binary chunk") end)
local function write(name, data)
    local f = assert(io.open(dir .. "/" .. name, "wb"))
    f:write(data)
    f:close()
end
write("t_good.luac", chunk)
write("t_truncated.luac", chunk:sub(1, #chunk - 4))
write("t_version.luac", chunk:sub(1, 4) .. "\\0" .. chunk:sub(6))
"""


def test_run_takes_a_binary_chunk_of_the_devices_lua_and_refuses_a_bad_one_naming_it(device):
    device.push("t_chunks.lua", CHUNK_MAKER)
    assert device.run_until_idle("t_chunks.lua")[0] == "finished"
    ending, printed = device.run_until_idle("t_good.luac")
    assert (ending, "from a binary chunk" in printed) == ("finished", True), printed
    for name, why in [("t_truncated.luac", "truncated"), ("t_version.luac", "version mismatch")]:
        ending, printed = device.run_until_idle(name)
        assert ending == "error", printed
        assert any(name in line and why in line for line in printed), printed
    # The console goes on.
    assert device.run_until_idle("t_good.luac")[0] == "finished"
