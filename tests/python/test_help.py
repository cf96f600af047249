"""Command-line help: `hetsim COMMAND --help` for every command, from its option declarations;
every option of the overview appears there; errors name no hidden option; regress works from
any folder (it finds the source tree, or takes --root)."""
import re
import subprocess

import pytest

COMMANDS = ["run", "check", "sweep", "regress", "validate", "list", "describe", "bench"]


def cli(hetsim_bin, *args, cwd=None):
    return subprocess.run([hetsim_bin, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def overview_options(hetsim_bin, command):
    """The options the top-level usage lists for `command` (its line and continuation lines)."""
    text = cli(hetsim_bin, "help").stdout
    block, on = [], False
    for line in text.splitlines():
        if line.startswith(f"  {command} "):
            on = True
        elif on and not line.startswith("      "):
            break
        if on:
            block.append(line)
    return set(re.findall(r"--[a-z][a-z-]*", " ".join(block)))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(hetsim_bin, command):
    p = cli(hetsim_bin, command, "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: hetsim {command}")
    for opt in overview_options(hetsim_bin, command):
        assert opt in p.stdout, f"{opt} is in the overview but not in `{command} --help`"


def test_overview_lists_every_declared_option(hetsim_bin):
    for command in ["run", "sweep", "regress", "validate"]:
        declared = set(re.findall(r"--[a-z][a-z-]*", cli(hetsim_bin, command, "--help").stdout))
        missing = declared - overview_options(hetsim_bin, command) - {"--help"}
        assert not missing, f"{command}: {missing} not in the overview"


def test_missing_scenario_names_no_hidden_option(hetsim_bin):
    for command in ["run", "check", "sweep"]:
        p = cli(hetsim_bin, command)
        assert p.returncode == 2
        assert "--scenario" not in p.stderr and "SCENARIO" in p.stderr


def test_bad_option_prints_the_command_help(hetsim_bin):
    p = cli(hetsim_bin, "sweep", "x.json", "--jbos", "2")
    assert p.returncode == 2 and "--jbos" in p.stderr and "usage: hetsim sweep" in p.stderr


def test_regress_from_another_folder(tmp_path, hetsim_bin):
    p = cli(hetsim_bin, "regress", "--filter", "T3-hugepages", "--jobs", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "no change" in p.stdout
    p = cli(hetsim_bin, "regress", "--root", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 2 and "--root" in p.stderr


def test_list_filter(hetsim_bin):
    p = cli(hetsim_bin, "list", "balance")
    assert p.returncode == 0 and "[balance]" in p.stdout and "[migration]" not in p.stdout
    assert cli(hetsim_bin, "list", "no-such-section").returncode == 2
