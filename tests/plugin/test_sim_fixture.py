"""The pytest plugin's simulator fixtures, run the way a user's project runs them:
pytest on a project that has only a main.lua and a test file."""

from __future__ import annotations

from importlib import resources

import pytest

# The script `luasys new` starts a project with: a blinking LED and a button.
MAIN = (resources.files("luasys") / "project_template" / "main.lua").read_text()


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".lua", main=MAIN)
    return pytester


def test_a_test_steps_virtual_time_posts_and_reads_stats(project):
    project.makepyfile(test_blink="""
        def test_blink(sim):
            sim.advance(1000)
            assert [(l.t_ms, l.text) for l in sim.output] == [(0, "LED ON"), (500, "LED OFF"), (1000, "LED ON")]
            assert sim.post("button", 4)
            assert sim.run_until("pressed", timeout_ms=0).t_ms == 1000
            assert sim.stats()["rtos_messages"] == 1

        def test_factory_runs_other_scripts(sim_factory, tmp_path):
            other = tmp_path / "other.lua"
            other.write_text("print('other', math.random(1000))")
            first, again = sim_factory(other, seed=5), sim_factory(other, seed=5)
            assert first.lines() == again.lines() and first.result.status == "returned"
    """)
    project.runpytest_subprocess("-q").assert_outcomes(passed=2)


def test_a_failing_test_shows_the_last_lines_with_their_virtual_times(project):
    project.makepyfile(test_fail="""
        def test_waits_for_a_line_that_never_comes(sim):
            sim.run_until("LED BLUE", timeout_ms=3000)

        def test_plain_assert(sim):
            sim.advance(1500)
            assert sim.lines()[-1] == "LED ON"
    """)
    result = project.runpytest_subprocess("-q")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*a line containing 'LED BLUE' did not hold within 3000 ms (virtual time now 3000 ms)*",
        "*luasys sim main.lua: last 20 lines (virtual time, s)*",
        "[    2.500] LED OFF",
        "[    3.000] LED ON",
    ])
    result.stdout.fnmatch_lines(["*luasys sim main.lua*", "[    1.500] LED OFF"])


def test_the_marker_and_the_command_line_choose_script_and_seed(project):
    project.makefile(".lua", dice="print(math.random(1000000))")
    project.makepyfile(test_dice="""
        import pytest

        @pytest.mark.luasys_sim(script="dice.lua", seed=9)
        def test_marker(sim, sim_factory):
            assert sim.lines() == sim_factory("dice.lua", seed=9).lines()

        def test_option(sim, sim_factory, pytestconfig):
            assert sim.lines() == sim_factory(seed=pytestconfig.getoption("luasys_seed")).lines()
            assert sim.lines() != sim_factory(seed=1).lines()
    """)
    project.runpytest_subprocess("-q", "--luasys-script=dice.lua", "--luasys-seed=3").assert_outcomes(passed=2)


def test_a_missing_script_is_named_with_the_ways_to_name_another(pytester: pytest.Pytester):
    pytester.makepyfile(test_nothing="def test_sim(sim): pass")
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the sim fixture runs *main.lua, which is not there: name the script with the "
                                 "luasys_script ini option*"])
    assert "Traceback" not in result.stdout.str()
