"""Command line training for scripts and Kaggle batch runs with the notebooks' code (options: docs/cli.md)."""

import argparse
import contextlib
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from helpers.constants import ALL_CLASS_NAMES, CLASS_NAMES
from helpers.data import dataset_names, find_all_data, load_course_data
from helpers.evaluation import evaluate, held_out_answers
from helpers.inference import load_mask_model
from helpers.metrics import ClassificationReport, balanced_accuracy
from helpers.models import BACKBONES, build_model, unfreeze_last_blocks
from helpers.runtime import describe_environment
from helpers.samples import run_photo_checks
from helpers.training import BALANCE_CHOICES, fit, recipe
from helpers.weights import WeightsUnavailableError

# Several datasets: balanced (dataset, class) draws, 30 % crowd-like views (docs/results.md: both help).
SEVERAL = {"balance": "sampler", "degrade": 0.3}


def summary(report: ClassificationReport) -> dict:
    """Accuracy, balanced accuracy, images and mistakes: what the JSON gives for each dataset."""
    images, wrong = int(report.matrix.sum()), int(report.matrix.sum() - report.matrix.trace())
    scores = {"accuracy": report.accuracy, "balanced_accuracy": balanced_accuracy(report.matrix)}
    return {name: round(value, 4) for name, value in scores.items()} | {"images": images, "wrong": wrong}


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
    parts = [load_course_data(s, plan.image_size, quick=args.quick or None, classes=classes) for s in sources]
    datasets = dict(zip(dataset_names(sources), parts, strict=True))
    print("\n".join(data.describe() for data in parts))
    start = time.perf_counter()
    result = fit(model, parts, plan.config, args.out, resume=args.resume)
    reports = {name: evaluate(model, data.splits["test"]).report() for name, data in datasets.items()}
    test = ClassificationReport(classes, sum(report.matrix for report in reports.values()))
    by_dataset = reports | ({"all": test} if len(reports) > 1 else {})
    held_out: defaultdict[str, Counter] = defaultdict(Counter)
    for data in parts:
        for name, answers in held_out_answers(model, data).items():
            held_out[name].update(answers)
    photos = run_photo_checks(load_mask_model(result.checkpoint))  # the saved file, loaded as an app would
    wrong = [r.name for r in photos if not r.correct]
    return {
        "model": args.model, "weights": model.weights,
        "data": {name: data.source.describe() for name, data in datasets.items()},
        "image_size": plan.image_size, "balance": plan.config.balance, "degrade": plan.config.degrade,
        "epochs_run": len(result.history), "best_epoch": result.best["epoch"],
        "val_accuracy": result.best.get("val_accuracy"), "test_accuracy": test.accuracy,
        "test": test.as_dict(),
        "test_by_dataset": {name: summary(report) for name, report in by_dataset.items()},
        "held_out_answers": {name: dict(counts) for name, counts in held_out.items()},
        "photo_checks": {"right": len(photos) - len(wrong), "total": len(photos), "wrong": wrong},
        "checkpoint": str(result.checkpoint), "seconds": round(time.perf_counter() - start, 1),
        "hardware": describe_environment(),  # device, CPU threads, GPU, platform and versions
        "notes": result.notes,
    }


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
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
