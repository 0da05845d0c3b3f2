"""Command line training for scripts and Kaggle batch runs; the same code the notebooks call.

    python -m helpers.train --data DIR --model mobilenet_v2 --epochs 15 --out checkpoints/mobilenet_v2.pt
    python -m helpers.train --data faces/ --data scenes/ --out both.pt   (several datasets, trained together)

Each dataset (every --data folder, or each one inside a folder holding several: helpers.data.find_all_data)
is loaded and split on its own; fit() trains on them together (a ConcatDataset). Validation and test metrics
are given per dataset, by folder name, and overall. Prints progress on stderr, then one JSON object on stdout.
Bad input (a missing folder, an unknown layout, unavailable weights) prints one line starting with "error:"
and exits with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

from torch import nn

from helpers.checkpoints import CheckpointError
from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.data import CourseData, DataLayoutError, dataset_names, find_all_data, load_course_data
from helpers.evaluation import evaluate, held_out_answers, size_reports, summary
from helpers.inference import load_mask_model
from helpers.metrics import ClassificationReport
from helpers.models import BACKBONES, build_model, unfreeze_last_blocks
from helpers.runtime import describe_environment, pick_device, seed_everything
from helpers.samples import run_photo_checks
from helpers.training import BALANCE_CHOICES, default_checkpoint, fit, recipe
from helpers.weights import WeightsUnavailableError

SEVERAL_DEGRADE = 0.3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.train", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        action="append",
        help="dataset folder; repeat to train on several (default: MASK_DATA_DIR, Kaggle input, data/, demo)",
    )
    parser.add_argument(
        "--classes",
        type=int,
        choices=(2, 3),
        default=2,
        help="2: mask / no mask (masks worn wrong are reported aside); 3: also learn 'incorrect' (scenes)",
    )
    parser.add_argument(
        "--model", choices=BACKBONES, default="mobilenet_v2", help="backbone (default mobilenet_v2)"
    )
    parser.add_argument("--epochs", type=int, help="epochs (default: the backbone's recipe)")
    parser.add_argument(
        "--out", type=Path, help="best checkpoint path (default: <work dir>/checkpoints/<model>.pt)"
    )
    parser.add_argument(
        "--image-size", type=int, help="pixels (default: the recipe's: cnn 64, vgg16 128, mobilenet_v2 160)"
    )
    parser.add_argument("--batch-size", type=int)
    parser.add_argument(
        "--balance",
        choices=BALANCE_CHOICES,
        help="class weights in the loss (default for one dataset), a sampler drawing every (dataset, class) "
        "pair equally often (default for several datasets), or none",
    )
    parser.add_argument("--lr", type=float)
    parser.add_argument(
        "--degrade",
        type=float,
        help=f"share of augmented images shrunk to 12-40 px and back, then JPEG-compressed (default 0; "
        f"{SEVERAL_DEGRADE} for several datasets)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fine-tune-blocks", type=int, default=0, help="also train the backbone's last N blocks"
    )
    parser.add_argument(
        "--no-pretrained", action="store_true", help="random start for vgg16/mobilenet_v2 (honestly labelled)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from <out>.resume.pt after an interruption"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small subset of the data, to check the pipeline"
    )
    return parser.parse_args(argv)


def dataset_results(
    model: nn.Module, datasets: dict[str, CourseData], split: str
) -> tuple[dict[str, dict], ClassificationReport]:
    """summary() of each dataset's split on its own (scene data also per face width), then "all" where there
    are several; and the report of all of them together (the confusion matrices added up)."""
    results, reports = {}, []
    for name, data in datasets.items():
        answers = evaluate(model, data.splits[split])
        reports.append(answers.report())
        results[name] = summary(reports[-1])
        if data.layout.scenes is not None:
            results[name] |= size_reports(answers, data.splits[split])
    overall = ClassificationReport(reports[0].class_names, sum(report.matrix for report in reports))
    if len(datasets) > 1:
        results["all"] = summary(overall)
    return results, overall


def run(args: argparse.Namespace) -> dict:
    sources = find_all_data(args.data)
    given = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}
    given["image_size"] = args.image_size
    # Several datasets: each (dataset, class) pair is drawn equally often, so a small dataset's rare class
    # (the scenes' unmasked faces) is not drowned by a large, balanced one, and 30 % of the augmented views
    # look like small crowd-photo faces. Both raised balanced accuracy on the scene validation faces (README).
    several = len(sources) > 1
    given["balance"] = args.balance or ("sampler" if several else None)
    given["degrade"] = args.degrade if args.degrade is not None else (SEVERAL_DEGRADE if several else None)
    plan = recipe(args.model, seed=args.seed, **{k: v for k, v in given.items() if v is not None})
    seed_everything(args.seed)
    classes = CLASS_NAMES if args.classes == 2 else ALL_CLASS_NAMES
    quick = True if args.quick else None
    datasets = {
        name: load_course_data(source, plan.image_size, quick=quick, classes=classes)
        for name, source in zip(dataset_names(sources), sources, strict=True)
    }
    for data in datasets.values():
        print(data.describe())
    pretrained = args.model != "cnn" and not args.no_pretrained
    model = build_model(args.model, pretrained=pretrained, seed=args.seed, classes=len(classes))
    if args.fine_tune_blocks:
        unfreeze_last_blocks(model, args.fine_tune_blocks)
    out = args.out or default_checkpoint(args.model)
    start = time.perf_counter()
    train_on = list(datasets.values()) if several else next(iter(datasets.values()))
    result = fit(model, train_on, plan.config, out, resume=args.resume, device=pick_device())
    test_by_dataset, test = dataset_results(model, datasets, "test")
    held_out: dict[str, Counter] = {}
    for data in datasets.values():
        for name, answers in held_out_answers(model, data).items():
            held_out[name] = held_out.get(name, Counter()) + Counter(answers)
    # A real face from outside the data, masked and not, through the saved checkpoint as an app would load it.
    photos = run_photo_checks(load_mask_model(result.checkpoint))
    hardware = describe_environment()
    return {
        "model": args.model,
        "weights": model.weights,
        "data": {name: data.source.describe() for name, data in datasets.items()},
        "image_size": plan.image_size,
        "balance": plan.config.balance,
        "degrade": plan.config.degrade,
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "val_accuracy": result.best.get("val_accuracy"),
        "test_accuracy": test.accuracy,
        "test": test.as_dict(),
        "test_by_dataset": test_by_dataset,
        "val_by_dataset": dataset_results(model, datasets, "val")[0],
        "held_out_answers": {name: {c: counts[c] for c in classes} for name, counts in held_out.items()},
        "photo_checks": {
            "right": sum(r.correct for r in photos),
            "total": len(photos),
            "wrong": [r.name for r in photos if not r.correct],
        },
        "checkpoint": str(result.checkpoint),
        "seconds": round(time.perf_counter() - start, 1),
        "hardware": {k: hardware[k] for k in ("device", "cpu_threads", "platform", "torch")},
        "notes": result.notes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # progress on stderr: stdout holds only the JSON
            summary = run(args)
    except (DataLayoutError, WeightsUnavailableError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
