"""Command line training for scripts and Kaggle batch runs (options: docs/cli.md), with the notebooks' code:
each --data is split on its own and fit() trains on them together; stdout gets one JSON object of metrics
(per dataset and overall), stderr the progress; bad input prints one "error:" line and exits with 2."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from torch import nn

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.data import CourseData, SplitData, dataset_names, find_all_data, load_course_data
from helpers.evaluation import Predictions, evaluate, held_out_answers
from helpers.inference import load_mask_model
from helpers.metrics import ClassificationReport
from helpers.models import BACKBONES, build_model, unfreeze_last_blocks
from helpers.runtime import describe_environment
from helpers.samples import run_photo_checks
from helpers.scenes import SIZE_BUCKETS
from helpers.training import BALANCE_CHOICES, fit, recipe
from helpers.weights import WeightsUnavailableError

# Several datasets: each (dataset, class) pair is drawn equally often and 30 % of the views look like small
# crowd-photo faces; both raised balanced accuracy on the scene validation faces (README).
SEVERAL = {"balance": "sampler", "degrade": 0.3}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.train", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--data", action="append", help="dataset folder; repeat for several (default: the lessons' data)")
    add("--classes", type=int, choices=(2, 3), default=2, help="3: also learn 'incorrect' (from scene data)")
    add("--model", choices=BACKBONES, default="mobilenet_v2", help="backbone (default mobilenet_v2)")
    add("--epochs", type=int, help="epochs (default: the backbone's recipe)")
    add("--out", type=Path, help="best checkpoint path (default: <work dir>/checkpoints/<model>.pt)")
    add("--image-size", type=int, help="pixels (default: the recipe's: cnn 64, vgg16 128, mobilenet_v2 160)")
    add("--batch-size", type=int)
    add("--balance", choices=BALANCE_CHOICES, help="default: weights for one dataset, sampler for several")
    add("--lr", type=float)
    degrade = f"share of views shrunk to 12-40 px, then JPEG'd (default 0; {SEVERAL['degrade']} for several)"
    add("--degrade", type=float, help=degrade)
    add("--seed", type=int, default=0)
    add("--fine-tune-blocks", type=int, default=0, help="also train the backbone's last N blocks")
    add("--no-pretrained", action="store_true", help="random start for vgg16/mobilenet_v2 (labelled so)")
    add("--resume", action="store_true", help="continue from <out>.resume.pt after an interruption")
    add("--quick", action="store_true", help="a small subset of the data, to check the pipeline")
    return parser.parse_args(argv)


def summary(report: ClassificationReport) -> dict:
    """Accuracy, balanced accuracy, images and mistakes: what the JSON gives for each dataset."""
    images, right = int(report.matrix.sum()), int(np.trace(report.matrix))
    scores = {"accuracy": round(report.accuracy, 4), "balanced_accuracy": round(report.balanced_accuracy, 4)}
    return scores | {"images": images, "wrong": images - right}


def size_reports(answers: Predictions, split: SplitData) -> dict[str, dict]:
    """summary() per face width of a scene split: small faces are where a model fails first."""
    widths, reports = split.sizes[:, 0].numpy(), {}
    for bucket, low, high in SIZE_BUCKETS:
        if (keep := (widths >= low) & (widths < high)).any():
            kept = Predictions(answers.probabilities[keep], answers.labels[keep], answers.class_names)
            reports[f"faces {bucket} px"] = summary(kept.report())
    return reports


def dataset_results(
    model: nn.Module, datasets: dict[str, CourseData], split: str
) -> tuple[dict[str, dict], ClassificationReport]:
    """summary() of each dataset's split (scene data also per face width), "all" where there are several,
    and the report of all of them together (the confusion matrices added up)."""
    results, reports = {}, []
    for name, data in datasets.items():
        answers = evaluate(model, data.splits[split])
        reports.append(answers.report())
        results[name] = summary(reports[-1])
        if data.layout.scenes is not None:
            results[name] |= size_reports(answers, data.splits[split])
    overall = ClassificationReport(reports[0].class_names, sum(report.matrix for report in reports))
    return results | ({"all": summary(overall)} if len(datasets) > 1 else {}), overall


def run(args: argparse.Namespace) -> dict:
    """Train as the options say, then measure the best epoch: the JSON main() prints."""
    sources = find_all_data(args.data)
    given = {k: getattr(args, k) for k in ("epochs", "image_size", "batch_size", "balance", "lr", "degrade")}
    changes = (SEVERAL if len(sources) > 1 else {}) | {k: v for k, v in given.items() if v is not None}
    plan = recipe(args.model, seed=args.seed, **changes)  # fit() seeds everything from plan.config.seed
    classes = CLASS_NAMES if args.classes == 2 else ALL_CLASS_NAMES
    pretrained = args.model != "cnn" and not args.no_pretrained  # the model first: bad input fails early
    model = build_model(args.model, pretrained=pretrained, seed=args.seed, classes=len(classes))
    unfreeze_last_blocks(model, args.fine_tune_blocks)
    datasets = {
        name: load_course_data(source, plan.image_size, quick=args.quick or None, classes=classes)
        for name, source in zip(dataset_names(sources), sources, strict=True)
    }
    for data in datasets.values():
        print(data.describe())
    start = time.perf_counter()
    result = fit(model, list(datasets.values()), plan.config, args.out, resume=args.resume)
    test_by_dataset, test = dataset_results(model, datasets, "test")
    held_out: defaultdict[str, Counter] = defaultdict(Counter)
    for data in datasets.values():
        for name, answers in held_out_answers(model, data).items():
            held_out[name].update(answers)
    # A real face from outside the data, masked and not, through the saved checkpoint as an app would load it.
    photos = run_photo_checks(load_mask_model(result.checkpoint))
    wrong = [r.name for r in photos if not r.correct]
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
        "held_out_answers": {name: dict(counts) for name, counts in held_out.items()},
        "photo_checks": {"right": len(photos) - len(wrong), "total": len(photos), "wrong": wrong},
        "checkpoint": str(result.checkpoint),
        "seconds": round(time.perf_counter() - start, 1),
        "hardware": {k: hardware[k] for k in ("device", "cpu_threads", "platform", "torch")},
        "notes": result.notes,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # progress on stderr: stdout holds only the JSON
            report = run(args)
    except (WeightsUnavailableError, ValueError) as exc:  # a bad folder, value or checkpoint, missing weights
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
