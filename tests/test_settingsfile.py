"""The settings file's earlier text waits beside it until a session measures with the new one (settingsfile.py)."""

import os

from parbench.settingsfile import before_of, keep_before, measured_with, put_back, restore_before


def written(path, text, when):
    path.write_text(text)
    os.utime(path, (when, when))
    return path


def test_the_earlier_text_is_kept_with_its_date_and_put_back_where_nothing_was_measured(tmp_path):
    settings = written(tmp_path / "settings.json", "A", 1000)
    keep_before(settings, "A")  # the same text: nothing to keep
    assert not before_of(settings).exists()
    keep_before(settings, "B")
    settings.write_text("B")
    assert before_of(settings) == tmp_path / "settings.before.json" and before_of(settings).read_text() == "A"
    keep_before(settings, "C")  # a second failed run: the copy of the results' settings stays
    assert before_of(settings).read_text() == "A"
    assert restore_before(settings) and settings.read_text() == "A" and settings.stat().st_mtime == 1000
    assert not before_of(settings).exists() and not restore_before(settings)


def test_a_session_that_measured_drops_the_earlier_texts(tmp_path):
    settings = written(tmp_path / "settings.json", "A", 1000)
    budget = written(tmp_path / "budget.json", "null", 1000)
    keep_before(settings, "B")
    keep_before(budget, '{"limit": "1h"}')
    settings.write_text("B")
    measured_with(settings)
    assert not before_of(settings).exists() and not restore_before(settings) and settings.read_text() == "B"
    assert not before_of(budget).exists()
    measured_with(settings)  # nothing waiting: no error


def test_putting_back_drops_snakemakes_record_of_the_failed_runs_params(tmp_path):
    class Persistence:
        dropped: list[str] = []

        def cleanup_metadata(self, target):
            self.dropped.append(str(target))
            return True

    settings = written(tmp_path / "settings.json", "A", 1000)
    budget = written(tmp_path / "budget.json", '{"limit": "30m"}', 1000)
    raw = ["results/raw/go/x.jsonl"]  # what the stopped session would have measured: marked incomplete
    assert put_back(settings, Persistence(), raw) is None and Persistence.dropped == []
    keep_before(settings, "B")
    keep_before(budget, '{"limit": "1h"}')
    settings.write_text("B")
    budget.write_text('{"limit": "1h"}')
    line = put_back(settings, Persistence(), raw)
    assert line == f"{settings} holds the settings of the results again: nothing was measured with the new ones"
    assert Persistence.dropped == [str(settings), *raw] and settings.read_text() == "A"
    assert budget.read_text() == '{"limit": "30m"}'  # the earlier budget's choice is the next plan's to keep
