"""Bad input arrives as hetsim.InputError with the CLI's message, file and JSON path; internal
failures as hetsim.InternalError; nothing crashes the interpreter."""
import json
import pickle
import subprocess

import pytest

import hetsim
from conftest import small_copy


@pytest.mark.parametrize("overrides,path", [
    ({"workloads.0.bytes": 1024}, "/workloads/0/bytes"),           # a bare number for a size
    ({"workloads.0.bytes": "-1MiB"}, "/workloads/0/bytes"),        # a negative size
    ({"workloads.0.kind": "nope"}, "/workloads/0/kind"),           # an unknown workload
    ({"workloads.0.byts": "1MiB"}, "/workloads/0/byts"),           # an unknown key
    ({"workloads.0.streams": 0}, "/workloads/0/streams"),          # out of range
    ({"policies.bogus.kind": "x"}, "/policies/bogus"),            # a slot no model uses
    ({"machine": "nope-9s"}, "/machine"),                          # an unknown machine
])
def test_input_errors_from_dict(overrides, path):
    doc = small_copy()
    for k, v in overrides.items():
        cur = doc
        parts = k.split(".")
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur.setdefault(p, {})
        cur[parts[-1]] = v
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(doc)
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.kind == "input" and e.exit_status == 2
    assert e.file == "<inline>"
    assert e.path == path
    assert e.expected and e.message == str(e)
    assert path in str(e)


def test_input_error_same_as_cli(tmp_path, hetsim_bin):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(small_copy(bytes=1024)))
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(str(bad))
    cli = subprocess.run([hetsim_bin, "run", str(bad)], capture_output=True, text=True)
    assert cli.returncode == ei.value.exit_status == 2
    assert ei.value.file == str(bad)
    assert str(ei.value) in cli.stderr


def test_override_path_errors(copy_path):
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(copy_path, overrides={"workloads.5.bytes": "1MiB"})  # no such workload
    assert "workloads" in ei.value.path or "workloads" in str(ei.value)


def test_malformed_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": ')
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(str(bad))
    assert ei.value.file == str(bad) and "JSON" in ei.value.expected


def test_missing_file(tmp_path):
    with pytest.raises(hetsim.InputError) as ei:
        hetsim.run(str(tmp_path / "none.json"))
    assert ei.value.file.endswith("none.json")


def test_bad_python_arguments():
    with pytest.raises(TypeError):
        hetsim.run(42)
    with pytest.raises(TypeError):
        hetsim.run(small_copy(), overrides=[("only-a-path",)])
    with pytest.raises(hetsim.InputError):
        hetsim.run(small_copy(), seed=-1)
    with pytest.raises(TypeError):
        hetsim.run(small_copy(), overrides={"workloads.0.bytes": object()})


def test_internal_error_and_pickling():
    with pytest.raises(hetsim.InternalError) as ei:
        hetsim._hetsim._raise_internal()
    assert ei.value.kind == "internal" and "invariant" in str(ei.value)
    with pytest.raises(hetsim.InputError) as ei2:
        hetsim.run(small_copy(bytes=1024))
    # Errors cross process boundaries (process pools, dask) with their attributes.
    back = pickle.loads(pickle.dumps(ei2.value))
    assert type(back) is hetsim.InputError
    assert (back.file, back.path, back.expected, back.found) == (
        ei2.value.file, ei2.value.path, ei2.value.expected, ei2.value.found)


def test_describe_unknown_machine():
    with pytest.raises(hetsim.InputError):
        hetsim.describe("no-such-machine")
