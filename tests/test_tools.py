"""The repository's tools: make run's summary table and saved streams, make strip (nbstripout), the checks of
what the notebooks recorded (tools/check_results.py) and the look of executed notebooks (check_outputs)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from tools import check_outputs, check_results
from tools.notebooks import notebook_paths, strip, summary_table, tidy_streams, unstripped


def test_run_summary_is_one_line_per_lesson(tmp_path: Path) -> None:
    (tmp_path / "01_data.json").write_text(
        json.dumps(
            {
                "data": "Data: face-mask-4k — real images; chosen from MASK_DATA_DIR",
                "headline": "4,094 images",
            }
        )
    )
    (tmp_path / "02_cnn.json").write_text(
        json.dumps({"data": "Data: v1 — SYNTHETIC demo data", "headline": "val 60 %"})
    )
    lines = summary_table({"01_data_loaders": 52.4, "02_cnn_from_scratch": 7.0, "03_transfer": 1.0}, tmp_path)
    rows = [line.split() for line in lines.splitlines()]
    assert rows[0] == ["lesson", "data", "headline", "seconds"]
    assert rows[1] == ["01", "face-mask-4k", "4,094", "images", "52"]
    assert rows[2] == ["02", "demo", "data", "val", "60", "%", "7"]
    assert rows[3][0] == "03" and rows[3][-1] == "1" and "nothing" in lines.splitlines()[3]


def test_strip_clears_outputs_and_counts_and_keeps_ids_tags_and_kernel(tmp_path: Path) -> None:
    pytest.importorskip("nbstripout", reason="make test installs tools/requirements.txt")
    cell = nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["parameters"], "scrolled": True})
    cell.outputs, cell.execution_count = [nbformat.v4.new_output("stream", text="1\n")], 1
    kernel = {"name": "python3", "display_name": "Python 3 (face-mask-course)", "language": "python"}
    notebook = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": kernel, "widgets": {"y": 2}})
    path, clean = tmp_path / "01_x.ipynb", tmp_path / "02_y.ipynb"
    nbformat.write(notebook, path)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), clean)
    assert notebook_paths(tmp_path) == [path, clean] and unstripped([path, clean]) == ["01_x.ipynb"]
    assert strip([path, clean]) == ["01_x.ipynb"] and strip([path, clean]) == []
    stripped = json.loads(path.read_text())
    (kept,) = stripped["cells"]
    assert kept["outputs"] == [] and kept["execution_count"] is None and kept["id"] == cell.id
    assert kept["metadata"] == {"tags": ["parameters"]} and "".join(kept["source"]) == "print(1)"
    assert stripped["metadata"] == {"kernelspec": kernel}
    assert unstripped([path, clean]) == []


def test_saved_streams_are_joined_and_show_each_bar_as_it_ended() -> None:
    stream = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("run()")
    cell.outputs = [
        stream("stream", name="stdout", text="Reading:   0%|  | 0/9\r"),
        stream("stream", name="stdout", text="Reading: 100%|##| 9/9\nRead 9 images\n"),
        stream("display_data", data={"image/png": "iVBOR"}),
        stream("stream", name="stdout", text="after the figure\n"),
    ]
    tidy = tidy_streams(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs
    assert [o.output_type for o in tidy] == ["stream", "display_data", "stream"]
    assert tidy[0].text == "Reading: 100%|##| 9/9\nRead 9 images\n"
    assert tidy[2].text == "after the figure\n"


def lesson_01_record(recorded_at: float, **changes) -> dict:
    """What lesson 01 records, as far as its checks read it."""
    counts = {split: {"mask": 10, "no_mask": 12} for split in ("train", "val", "test")}
    record = {"counts": counts, "batch_shape": [32, 3, 128, 128], "groups_across_splits": 0}
    environment = {"quick_mode": "True"}
    return record | {"data": "Data: demo", "environment": environment, "recorded_at": recorded_at} | changes


def write_record(folder: Path, name: str, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(record))


def test_records_missing_or_left_by_an_earlier_run_are_reported(tmp_path: Path) -> None:
    write_record(tmp_path, "01_data", lesson_01_record(recorded_at=100.0))
    assert check_results.problems(tmp_path, since=50.0, lessons=["01"]) == []
    found = check_results.problems(tmp_path, since=200.0, lessons=["01", "02"])
    assert [problem.split(":")[0] for problem in found] == ["01_data", "02_cnn"]


def test_a_record_that_breaks_a_check_or_lacks_a_value_is_reported(tmp_path: Path) -> None:
    counts = {split: {"mask": 10, "no_mask": 0} for split in ("train", "val", "test")}
    write_record(tmp_path, "01_data", lesson_01_record(100.0, groups_across_splits=3, counts=counts))
    assert len(check_results.problems(tmp_path, since=0.0, lessons=["01"])) == 2
    broken = lesson_01_record(100.0)
    del broken["counts"]
    write_record(tmp_path, "01_data", broken)
    (found,) = check_results.problems(tmp_path, since=0.0, lessons=["01"])
    assert "counts" in found


@pytest.mark.parametrize(
    ("quick", "data", "problems"),
    [("True", "real images", 0), ("False", "— SYNTHETIC demo data", 0), ("False", "real images", 1)],
)
def test_what_only_a_well_trained_model_reaches_is_checked_on_full_real_runs_only(
    tmp_path: Path, quick: str, data: str, problems: int
) -> None:
    history = [{"epoch": 1, "val_accuracy": 0.6, "train_loss": 0.7}]
    record = {"history": history, "val_accuracy": 0.6, "data": data, "environment": {"quick_mode": quick}}
    write_record(tmp_path, "02_cnn", record | {"recorded_at": 100.0})
    assert len(check_results.problems(tmp_path, since=0.0, lessons=["02"])) == problems


def test_the_command_checks_the_work_folders_records(private_work_dir: Path) -> None:
    start = time.time()
    assert check_results.main(["--since", str(start), "01"]) == 1  # nothing recorded yet
    write_record(private_work_dir / "results", "01_data", lesson_01_record(recorded_at=time.time()))
    assert check_results.main(["--since", str(start), "01"]) == 0
    with pytest.raises(SystemExit):
        check_results.main(["--since", str(start), "99"])


def test_check_outputs_flags_what_a_learner_should_not_see(tmp_path: Path) -> None:
    good = nbformat.v4.new_code_cell("print(1)")
    good.outputs = [nbformat.v4.new_output("stream", text="Read 9 images\n")]
    bad = nbformat.v4.new_code_cell("print(2)")
    bad.outputs = [
        nbformat.v4.new_output("stream", text="saved /home/learner/checkpoints/cnn.pt\n"),
        nbformat.v4.new_output("stream", text="Reading:   0%|  | 0/9\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "x" * 300}),
    ]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[good]), path)
    assert check_outputs.problems(path) == []
    nbformat.write(nbformat.v4.new_notebook(cells=[good, bad]), path)
    found = check_outputs.problems(path)
    assert len(found) == 3 and all(problem.startswith("01_x.ipynb cell 1") for problem in found)
