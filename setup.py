"""Package data that lives outside the Python packages' folders, added to a built (not
an editable) install, so that `pip install .` works from any directory:

- the Lua runtime, components/lua_sys/lua, as host_sim/runtime (the simulator's);
- the native host build, built here with cmake when cmake and a C compiler are there,
  as luasys/bin/luasys-native (`luasys native`, `--port native`).

An editable install (tools/bootstrap.sh) finds both in the checkout instead."""

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib)
        shutil.copytree(HERE / "components" / "lua_sys" / "lua", target / "host_sim" / "runtime",
                        dirs_exist_ok=True)
        self._build_native(target / "luasys" / "bin")

    def _build_native(self, bin_dir: Path) -> None:
        build = Path(self.get_finalized_command("build").build_temp).resolve() / "native"
        try:
            subprocess.run(["cmake", "-S", str(HERE / "host_sim" / "native"), "-B", str(build),
                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True, capture_output=True)
            subprocess.run(["cmake", "--build", str(build), "-j2", "--target", "luasys-native"],
                           check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"luasys: the native build was not packaged ({error}); `luasys native` will need "
                  "LUASYS_NATIVE", file=sys.stderr)
            return
        bin_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build / "luasys-native", bin_dir / "luasys-native")


setup(cmdclass={"build_py": BuildPyWithRuntime})
