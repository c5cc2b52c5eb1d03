"""benosc.simulate.machine: the CPU a measurement names."""

from __future__ import annotations

from benosc.simulate.machine import cpu_description

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
stepping\t: 1
flags\t\t: fpu avx2 avx512f avx512bw

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: not the first processor
"""


def test_the_cpu_is_read_off_the_first_processor(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    assert cpu_description(info) == "AuthenticAMD AMD EPYC (family 25, model 17, stepping 1, AVX-512)"
    info.write_text(CPUINFO.replace(" avx512f", ""))
    assert cpu_description(info) == "AuthenticAMD AMD EPYC (family 25, model 17, stepping 1)"


def test_without_cpuinfo_the_platform_names_it(tmp_path):
    assert cpu_description(tmp_path / "missing") not in ("", None)
    (tmp_path / "partial").write_text("processor\t: 0\nvendor_id\t: X\n")  # fields missing: not a half-made name
    assert "X" not in cpu_description(tmp_path / "partial")
