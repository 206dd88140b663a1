import math

import pytest

from fixtures import scaling_records
from parbench.aggregate import runs_table, summary_table
from parbench.report import flavour_ratios, headline_rows, plot_figures, render

CATALOGUE = {
    "cpython-3.13": {"kind": "cpython", "free_threading": False},
    "cpython-3.13t": {"kind": "cpython", "free_threading": True},
    "go": {"kind": "go"},
}
CONFIG = {"repeats": 6, "warmup": 1, "catalogue": CATALOGUE, "runtimes": list(CATALOGUE)}


@pytest.fixture
def summary():
    return summary_table(runs_table(scaling_records()))


def test_headline_uses_parallel_mode_on_all_cpus_beside_the_blog(summary):
    head = headline_rows(summary, CATALOGUE).set_index("runtime")
    assert head.loc["cpython-3.13", "workers"] == 2
    assert head.loc["cpython-3.13", "seconds"] == pytest.approx(10.25)
    assert head.loc["cpython-3.13", "blog_seconds"] == 79.27
    assert head.loc["cpython-3.13t", "blog_seconds"] == 16.19
    assert head.loc["go", "blog_seconds"] == 0.11


def test_ratios_per_cpu_count(summary):
    ratios = flavour_ratios(summary, CATALOGUE).set_index("cpus")
    assert ratios.loc[2, "gil_over_free_threaded"] == pytest.approx(10.0 / 6.0)
    assert ratios.loc[2, "free_threaded_over_go"] == pytest.approx(60.0)
    assert ratios.loc[1, "gil_over_free_threaded"] == pytest.approx(5.0 / 6.0)


def test_render_has_every_section_and_figure(summary, tmp_path):
    figures = plot_figures(summary, tmp_path / "figures")
    assert [p.name for p in figures] == ["cpu_loop_scaling.png"]
    assert figures[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    identities = [
        {"runtime": "go", "image_id": "sha256:1", "config": {"kind": "go"},
         "identity": {"GOVERSION": "go1.24.4", "GOOS": "linux", "GOARCH": "amd64"}},
    ]
    env = {"cpu_model": "Test CPU", "git_commit": "abc"}
    text = render(summary, CONFIG, identities, env, figures, tmp_path)
    for heading in ("## The blog's table, on this machine", "### Ratios", "## Every cell", "## Figures",
                    "## Environment", "### Images", "### Configuration used"):
        assert heading in text
    assert "![cpu_loop_scaling](figures/cpu_loop_scaling.png)" in text
    assert "79.27" in text and "4.90×" in text and "147.18×" in text  # the blog's figures and ratios
    assert "Test CPU" in text and "go1.24.4 linux/amd64" in text
    assert "too few" not in text  # six repeats per cell: every median has its interval
