"""The component's C API test (host_sim/native/tests/test_lua_sys_api.c) built as an
ESP-IDF app for the linux target (tests/idf/c_api, tools/build-idf-linux.sh --c-api):
the same checks as on the host port, on real FreeRTOS and espressif/lua, its "ISR"
posts made from a signal handler interrupting the task."""

from __future__ import annotations

import re
import subprocess

from backends import idf_linux_elf
from luasys import child_process

TESTS = ("test_before_init", "test_rejects_invalid_posts", "test_full_queue_counts_drops",
         "test_delivery_in_order_then_stop")


def test_the_c_api_on_the_linux_target() -> None:
    done = child_process.run([str(idf_linux_elf("idf-linux-c-api", "lua_sys_c_api.elf"))], 120,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.findall(r"^ok (\w+)$", done.stdout, re.MULTILINE) == list(TESTS), output
