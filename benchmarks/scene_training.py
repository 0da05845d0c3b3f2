"""Which training settings help on real scenes: balance and small-face augmentation, judged on validation.

    python benchmarks/scene_training.py --data path/to/face-mask-4k --data path/to/face-mask-scenes
        [--degrade 0 0.3] [--balance weights sampler none] [--seeds 0 1] [--epochs 25]

Every setting is one fit() run of the course's MobileNetV2 recipe (frozen ImageNet features, computed once
per run by lesson 03's frozen_features; then the head trains) on all the datasets together, exactly as
`python -m helpers.train --data A --data B` trains. Each dataset's validation split is then measured on its
own, and the scene faces of 32 px and more. Printed: accuracy / balanced accuracy / errors. The test splits
are not touched: settings are chosen here, tested elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from torch import nn

from helpers.data import CourseData, SplitData, dataset_names, find_all_data, load_course_data
from helpers.evaluation import evaluate
from helpers.models import build_model
from helpers.runtime import describe_environment, record_result, work_dir
from helpers.train import summary
from helpers.training import BALANCE_CHOICES, fit, recipe


def validation_sets(datasets: dict[str, CourseData]) -> dict[str, SplitData]:
    """Each dataset's validation split, and for scene data its faces of 32 px and more."""
    sets = {}
    for name, data in datasets.items():
        sets[name] = data.splits["val"]
        if data.layout.scenes is not None:
            sets[f"{name} >= 32 px"] = sets[name].subset(sets[name].sizes[:, 0] >= 32)
    return sets


def cell(model: nn.Module, split: SplitData) -> str:
    row = summary(evaluate(model, split).report())
    return f"{row['accuracy']:6.1%} / {row['balanced_accuracy']:6.1%} / {row['wrong']:>3}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="a dataset; repeat for several")
    parser.add_argument("--degrade", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--balance", nargs="+", choices=BALANCE_CHOICES, default=list(BALANCE_CHOICES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=recipe("mobilenet_v2").config.epochs)
    args = parser.parse_args(argv)
    sources = find_all_data(args.data)
    size = recipe("mobilenet_v2").image_size
    loaded = [load_course_data(source, image_size=size, quick=False) for source in sources]
    datasets = dict(zip(dataset_names(sources), loaded, strict=True))
    sets = validation_sets(datasets)
    hardware = describe_environment()
    print("\n".join(data.describe() for data in loaded))
    print(f"{hardware['device']}, {hardware['cpu_threads']} CPU threads; fit() progress goes to stderr")
    print(f"\n{'degrade':>7} {'balance':>8} {'seed':>4} {'s':>5}  " + "".join(f"{name:>28}" for name in sets))
    print(f"{'':>29}" + "".join(f"{'accuracy / balanced / wrong':>28}" for _ in sets))
    rows = []
    for degrade in args.degrade:
        for balance in args.balance:
            for seed in args.seeds:
                plan = recipe("mobilenet_v2", epochs=args.epochs, balance=balance, degrade=degrade, seed=seed)
                with contextlib.redirect_stdout(sys.stderr):  # stdout: the table only
                    model = build_model("mobilenet_v2", pretrained=True, seed=seed)
                    result = fit(model, loaded, plan.config, work_dir() / "benchmarks" / "scenes.pt")
                cells = {name: cell(model, split) for name, split in sets.items()}
                seconds = round(result.seconds)
                rows.append(
                    {"degrade": degrade, "balance": balance, "seed": seed, "seconds": seconds, **cells}
                )
                print(
                    f"{degrade:>7} {balance:>8} {seed:>4} {seconds:>5}  "
                    + "".join(f"{c:>28}" for c in cells.values())
                )
    record_result("benchmark_scene_training", {"data": [d.source.describe() for d in loaded], "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
