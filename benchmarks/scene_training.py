"""Which training settings help on real scenes: balance and small-face augmentation, judged on validation.

    python benchmarks/scene_training.py --data path/to/face-mask-4k --data path/to/face-mask-scenes
        [--degrade 0 0.3] [--seeds 0 1]

MobileNetV2 (frozen ImageNet features, the course's recipe) trained on all the datasets together. The frozen
layers run once per --degrade value (plain + 3 augmented views, a share of them made to look like small crowd
faces: helpers.preprocess.degrade); then the head is trained with fit()'s loop (lesson 4's run_epoch and
train_epochs, best epoch by validation accuracy) for each balance setting (class weights, balanced sources,
none) and seed. Printed: accuracy / balanced accuracy / errors on each dataset's validation split (and on the
scene faces of 32 px and more). The test splits are not touched: settings are chosen here, tested elsewhere.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from functools import partial

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from helpers.data import CourseData, load_course_data
from helpers.loaders import FeatureBatches, class_weights, eval_batches
from helpers.metrics import ClassificationReport
from helpers.models import build_model
from helpers.runtime import describe_environment, record_result
from helpers.training import (
    _frozen_outputs,
    recipe,
    run_epoch,
    run_model,
    source_groups,
    split_frozen,
    train_epochs,
    validation_score,
    warmup_cosine,
)


def validation_sets(frozen: nn.Module, data: CourseData) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Frozen features of each dataset's validation split (and the scene faces >= 32 px)."""
    sets = {}
    for k, name in enumerate(data.source.part_names()):
        part = data.split_of("val", k)
        features, _ = run_model(frozen, eval_batches(part.images, part.labels, 16))
        sets[name] = (features.float(), part.labels)
        if data.parts[k].layout.scenes is not None:
            big = part.sizes[:, 0] >= 32
            sets[f"{name} >= 32 px"] = (features.float()[big], part.labels[big])
    return sets


def train_head(batches: dict, data: CourseData, balance: str, seed: int, epochs: int) -> nn.Module:
    """A fresh head trained on the stored features as fit() trains it; the best validation epoch kept."""
    head = build_model("mobilenet_v2", pretrained=False, seed=seed).head
    train = FeatureBatches(batches["train"].views, batches["train"].labels, 64, seed, balance == "sources")
    if balance == "sources":
        train.groups = source_groups(data)
    weight = class_weights(data.splits["train"].labels) if balance == "weights" else None
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = LambdaLR(optimizer, partial(warmup_cosine, epochs=epochs, warmup=1))
    best: dict = {}

    def keep_best(history: list[dict]) -> None:
        if validation_score(history[-1]) == max(map(validation_score, history)):
            best["state"] = {k: v.clone() for k, v in head.state_dict().items()}

    one_epoch = partial(
        run_epoch,
        head,
        {"train": train, "val": batches["val"]},
        nn.CrossEntropyLoss(weight=weight),
        optimizer,
        scheduler,
    )
    train_epochs(one_epoch, epochs, epochs, keep_best)
    head.load_state_dict(best["state"])
    return head.eval()


def summary(head: nn.Module, features: torch.Tensor, labels: torch.Tensor) -> str:
    with torch.inference_mode():
        predicted = head(features).argmax(dim=1).numpy()
    report = ClassificationReport.from_predictions(labels.numpy(), predicted, ("mask", "no_mask"))
    errors = int((predicted != labels.numpy()).sum())
    return f"{report.accuracy:6.1%} / {report.balanced_accuracy:6.1%} / {errors:>3}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="a dataset; repeat for several")
    parser.add_argument("--degrade", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    plan = recipe("mobilenet_v2")
    data = load_course_data(args.data, image_size=plan.image_size, quick=False)
    model = build_model("mobilenet_v2", pretrained=True)
    frozen, _ = split_frozen(model)
    hardware = describe_environment()
    print(f"{data.describe()}\n{model.weights}; {hardware['device']}, {hardware['cpu_threads']} CPU threads")
    sets = validation_sets(frozen, data)
    print(f"\n{'degrade':>7} {'balance':>8} {'seed':>4}  " + "".join(f"{name:>28}" for name in sets))
    print(f"{'':>22}" + "".join(f"{'accuracy / balanced / wrong':>28}" for _ in sets))
    rows = []
    for degrade in args.degrade:
        start = time.perf_counter()
        batches, _ = _frozen_outputs(
            frozen, data, replace(plan.config, degrade=degrade), torch.device("cpu"), False
        )
        print(f"(frozen layers, degrade {degrade}: {time.perf_counter() - start:.0f} s)")
        for balance in ("weights", "sources", "none"):
            for seed in args.seeds:
                head = train_head(batches, data, balance, seed, plan.config.epochs)
                cells = {name: summary(head, *pair) for name, pair in sets.items()}
                rows.append({"degrade": degrade, "balance": balance, "seed": seed, **cells})
                print(f"{degrade:>7} {balance:>8} {seed:>4}  " + "".join(f"{c:>28}" for c in cells.values()))
    record_result("benchmark_scene_training", {"data": data.source.describe(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
