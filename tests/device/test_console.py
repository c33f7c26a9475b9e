"""What a user sees on a device's console: the banner, pushed scripts running, timers,
pub/sub, errors that do not reboot, and uploads that are atomic and verified. Runs on
the simulator and the native build here, and unchanged on a board (see conftest.py)."""

from __future__ import annotations

import re

from luasys import protocol as p

IDLE_LOOP = "print('loop running')\nsys.run()\n"


def start_loop(console) -> None:
    console.push("t_loop.lua", IDLE_LOOP)
    console.run("t_loop.lua")
    console.dut.expect_exact("loop running")


def test_banner_names_the_version(console):
    status, args, _ = console.request("hello")
    assert status == p.OK
    assert re.fullmatch(r"LuaSys-\d+\.\d+\.\d+", args[0]) and args[1] == str(p.PROTOCOL_VERSION)


def test_pushed_script_runs_and_prints(console):
    console.push("t_hello.lua", "for i = 1, 3 do print('line ' .. i) end\nsys.run()\n")
    console.run("t_hello.lua")
    for i in range(1, 4):
        console.dut.expect_exact(f"line {i}")


def test_timers_fire_in_order(console):
    console.push("t_timers.lua", """
for _, ms in ipairs({ 60, 20, 40 }) do
    sys.timerStart(function() print("timer " .. ms) end, ms)
end
sys.timerStart(function() print("timers done") end, 80)
sys.run()
""")
    console.run("t_timers.lua")
    before = console.dut.expect_exact("timers done", return_what_before_match=True)
    fired = re.findall(rb"timer (\d+)", before)
    assert fired == [b"20", b"40", b"60"]


def test_publish_reaches_subscribers_in_order(console):
    console.push("t_pubsub.lua", """
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
    console.run("t_pubsub.lua")
    console.dut.expect_exact("first got 21")
    console.dut.expect_exact("second got 21")
    console.dut.expect_exact("task got ack yes")


def test_task_error_is_reported_and_the_loop_goes_on(console):
    console.push("t_error.lua", """
sys.taskInit(function() sys.wait(10); error("boom in task") end)
sys.timerStart(function() print("still running") end, 50)
sys.run()
""")
    console.run("t_error.lua")
    console.dut.expect_exact("boom in task")
    before = console.dut.expect_exact("still running", return_what_before_match=True)
    assert not p.BANNER_RE.search(before), "the device rebooted"
    console.line("print('alive', 6 * 7)")
    console.dut.expect_exact("alive\t42")


def test_repl_prints_values_and_errors(console):
    start_loop(console)
    console.line("1 + 2, 'three'")
    console.dut.expect_exact("3\tthree")
    console.line("error('bad line')")
    console.dut.expect(re.compile(rb"console: error: .*bad line"))
    assert console.eval("return 6 * 7") == "42"


def test_describe_shows_the_runtime(console):
    start_loop(console)
    text = console.describe()
    assert b"version=LuaSys-" in text and b"lua_heap:" in text
    assert b"stats:" in text and b"published=" in text  # sys.stats()
    assert b"LuaSys at " in text and b" tasks, " in text  # the table of sys.describe()


def test_crc_mismatch_is_rejected_and_the_old_script_stays(console):
    console.push("t_keep.lua", "print('version one')\n")
    bad = b"print('version two')\n"
    status, args, _ = console.put("t_keep.lua", bad, crc=p.crc32(bad) ^ 1)
    assert (status, args[0]) == (p.ERR, "crc")
    assert console.get("t_keep.lua") == b"print('version one')\n"


def test_interrupted_upload_times_out_and_the_old_script_stays(console):
    console.push("t_cut.lua", "print('intact')\n")
    data = b"print('half written')\n"
    tag = "cut1"
    console.send_raw(p.encode_request(tag, "put", "t_cut.lua", len(data), f"{p.crc32(data):08x}"))
    assert console.expect_reply(tag)[0] == p.READY
    console.send_raw(data[:5])  # and then nothing: the device gives up after its idle timeout
    status, args, _ = console.expect_reply(tag)
    assert (status, args[0]) == (p.ERR, "timeout")
    assert console.get("t_cut.lua") == b"print('intact')\n"


def test_bad_input_is_answered_and_harmless(console):
    start_loop(console)
    console.send_raw(b"\x01zz9 frobnicate\n")
    assert console.expect_reply("zz9")[:2] == (p.ERR, ("unknown-command", "unknown", "command", "'frobnicate'"))
    console.send_raw(b"\x01 !! put\n")
    console.dut.expect(re.compile(rb"\x01- ERR bad-frame"))
    console.send_raw(b"x" * (p.LINE_MAX + 10) + b"\n")
    console.dut.expect_exact("line longer than")
    console.send_raw(bytes(range(0x80, 0xFF)) + b"\n")
    console.dut.expect_exact("console: error:")
    status, args, _ = console.request("put", "../escape.lua", 1, "00000000")
    assert (status, args[0]) == (p.ERR, "bad-path")
    status, args, _ = console.request("put", "big.lua", p.FILE_MAX + 1, "00000000")
    assert (status, args[0]) == (p.ERR, "too-large")
    console.line("print('still fine')")
    console.dut.expect_exact("still fine")
