#!/usr/bin/env python3
"""Checks that the lessons' Check cells can fail: each mutation changes one run so that what
a lesson claims is no longer true, and the notebook must then fail, in the check that guards
that claim where the mutation names it.

  notebook_mutations.py OUTDIR [NAME ...]   (run with the virtualenv's python, after
                                             scripts/jupyter.sh --setup; NAMEs pick mutations)

Each mutant is written beside the lessons as notebooks/9KK_mut_NAME.ipynb just before
run_notebooks.py executes it, one at a time (the kernels share one build directory), and
removed as soon as it has run. Exit 1 when a mutant passes (a check that cannot catch the
change it guards against), when it fails without the expected message (caught by something
other than its check), or when a mutation no longer applies."""
import json
import pathlib
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOKS = ROOT / "notebooks"

# (lesson, name, text in a cell, its replacement, text the failure must show or None)
MUTATIONS = [
    # 01: the baseline and the two checks before it.
    ("01_quickstart_baseline", "baseline", "let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(15);",
     "let config = TrainConfig::new(OptimizerKind::Adam).with_lr(1e-5).with_epochs(15);", "baseline val accuracy"),
    ("01_quickstart_baseline", "onebatch", "train::overfit_one_batch(&splits, &TrainConfig::new(OptimizerKind::Adam), 200)",
     "train::overfit_one_batch(&splits, &TrainConfig::new(OptimizerKind::Adam).with_lr(1e-6), 200)", "FAIL"),
    # 02: the three curves, the two extremes, the finder.
    ("02_learning_rate", "curves", "let lrs = [1e-3, 0.1, 1e-5];", "let lrs = [1e-3, 1e-5, 0.1];", None),
    ("02_learning_rate", "explode", "let high = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(10.0)",
     "let high = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(0.01)", "high.outcome.is_diverged()"),
    ("02_learning_rate", "crawl", "let low = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(1e-5)",
     "let low = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(0.1)", None),
    ("02_learning_rate", "finder", "let lr = lr_found;", "let lr = 1e-5;", "vs ["),
    ("02_learning_rate", "tie", "at_default += train(&splits, &config.clone().with_seed(seed))?",
     "at_default += train(&splits, &config.clone().with_lr(1e-5).with_seed(seed))?", "the answer says a tie"),
    # 03: capacity along the list, depth against width.
    ("03_architecture", "capacity", "configs.push(base.clone().with_hidden(a.hidden).with_seed(seed));",
     "configs.push(base.clone().with_hidden(vec![64]).with_seed(seed));", None),
    ("03_architecture", "depth", "let one_sample = 100.0 / splits.val.n_samples() as f64;", "let one_sample = 100.0;", None),
    ("03_architecture", "thirdlayer", "let gap_samples = (mean_acc[4] - mean_acc[3]).abs()",
     "let gap_samples = (mean_acc[4] - mean_acc[0]).abs()", None),
    # 04: accumulation, memory, mixed precision.
    ("04_batch_size", "accumulate", "one.clone().with_batch_size(16).with_accumulate(4)",
     "one.clone().with_batch_size(16).with_accumulate(2)", "diff < 1e-5"),
    ("04_batch_size", "mixed", "advise::Precision::MixedF16);", "advise::Precision::F32);", "mixed"),
    # 05: the overfit net, each regulariser, the underfit net.
    ("05_regularization", "decay", '("weight decay 1e-3", wide.clone().with_weight_decay(1e-3)),',
     '("weight decay 1e-3", wide.clone().with_weight_decay(1e-7)),', "weight decay 1e-3"),
    ("05_regularization", "input", '("input dropout 0.1", wide.clone().with_input_dropout(0.1)),',
     '("input dropout 0.1", wide.clone().with_input_dropout(0.0)),', "input dropout"),
    ("05_regularization", "patience", "wide.clone().with_early_stopping(EarlyStopping::new(5))",
     "wide.clone().with_early_stopping(EarlyStopping::new(500))", "EarlyStopped"),
    ("05_regularization", "accgap", "let fo = over.epochs.last().unwrap().clone();", "let fo = train(&data::digits()?.split(&SplitConfig::default())?, &TrainConfig::new(OptimizerKind::Adam).with_epochs(5))?.epochs.last().unwrap().clone();",
     "accuracy gap"),
    ("05_regularization", "underfit", "with_hidden(vec![2]).with_epochs(10))?;\nlet d_under",
     "with_hidden(vec![128]).with_epochs(10))?;\nlet d_under", None),
    # 06: the study's test accuracy.
    ("06_systematic_study", "study", "let study = study::run_study_with(&splits, &quick,",
     "let study = study::run_study_with(&splits.clone().with_train_size(100)?, &quick,", "test accuracy"),
    # 07: every case of the gallery, its fix undone.
    ("07_gallery", "case1", "let fixed = train(&splits, &sgd.clone().with_lr(0.01).with_epochs(5))?;",
     "let fixed = train(&splits, &sgd.clone().with_lr(10.0).with_epochs(5))?;", "case 1 fixed"),
    ("07_gallery", "case2", "let raised = train(&splits, &sgd.clone().with_lr(1e-2).with_epochs(15))?;",
     "let raised = train(&splits, &sgd.clone().with_lr(1e-4).with_epochs(15))?;", "case 2 fixed"),
    ("07_gallery", "case3", "let faster = train(&splits, &adam.clone().with_lr(1e-3).with_epochs(10))?;",
     "let faster = train(&splits, &adam.clone().with_lr(1e-4).with_epochs(10))?;", "case 3 fixed"),
    ("07_gallery", "case4", "let curved = train(&moons, &adam.clone().with_hidden(vec![16])",
     "let curved = train(&moons, &adam.clone().with_hidden(Vec::<usize>::new())", "case 4 fixed"),
    ("07_gallery", "case5", "let decayed = train(&tiny, &wide.clone().with_weight_decay(1e-4))?;",
     "let decayed = train(&tiny, &wide.clone().with_weight_decay(1e-9))?;", "case 5"),
    ("07_gallery", "case6", "let roomy = train(&splits, &adam.clone().with_hidden(vec![64])",
     "let roomy = train(&splits, &adam.clone().with_hidden(vec![2])", "case 6 fixed"),
    ("07_gallery", "case7", "let freed = train(&splits, &adam.clone().with_dropout(0.45)",
     "let freed = train(&splits, &adam.clone().with_dropout(0.9)", "case 7 fixed"),
    ("07_gallery", "case8", "let shuffled = train(&sorted, &adam.clone().with_epochs(10))?;",
     "let shuffled = train(&sorted, &adam.clone().with_shuffle(false).with_epochs(10))?;", "case 8 fixed"),
    ("07_gallery", "case9", "let batch32 = train(&splits, &sgd.clone().with_lr(0.05).with_batch_size(32)",
     "let batch32 = train(&splits, &sgd.clone().with_lr(0.05).with_batch_size(4)", "case 9 fixed"),
    ("07_gallery", "case10", "let calmer = train(&splits, &adam.clone().with_lr(0.01)",
     "let calmer = train(&splits, &adam.clone().with_lr(0.03)", "case 10 fixed"),
    ("07_gallery", "case11", "let recheck = train::initial_loss_check(&splits, &adam)?;",
     "let recheck = train::initial_loss_check(&unscaled, &adam)?;", "case 11"),
    ("07_gallery", "case12", "let aligned = train(&splits, &adam.clone().with_epochs(15))?;",
     "let aligned = train(&scrambled, &adam.clone().with_epochs(15))?;", "case 12 fixed"),
    ("07_gallery", "case13", "let longer = train(&splits, &adam.clone().with_epochs(10))?;",
     "let longer = train(&splits, &adam.clone().with_epochs(3))?;", "case 13 fixed"),
    ("07_gallery", "case14", "let stuck_high = train(&splits, &sgd.clone().with_lr(3.0)",
     "let stuck_high = train(&splits, &sgd.clone().with_lr(0.1)", "case 14"),
    ("07_gallery", "case15", "&big.clone().with_hidden(vec![64]), 5)", "&big.clone().with_hidden(vec![256, 256]), 5)", "case 15"),
    ("07_gallery", "case16", "let raised_lr = train(&moons, &tanh_net.clone().with_lr(9e-4))?;",
     "let raised_lr = train(&moons, &tanh_net.clone().with_lr(3e-4))?;", "case 16 fixed"),
    ("07_gallery", "case16cosine", "let cosine_lr = train(&moons, &tanh_net.clone().with_schedule(Schedule::cosine()))?;",
     "let cosine_lr = train(&moons, &tanh_net.clone().with_lr(9e-4))?;", "case 16: cosine"),
    ("07_gallery", "case16cycle", "tanh_net.clone().with_lr(3e-3).with_schedule(Schedule::one_cycle())",
     "tanh_net.clone().with_lr(9e-4).with_schedule(Schedule::one_cycle())", "case 16: one-cycle"),
    # 08: the backends agree with ndarray.
    ("08_backends", "backends", "let flex = train(&splits, &config.clone().with_device(DeviceSpec::Flex));",
     "let flex = train(&splits, &config.clone().with_seed(8).with_device(DeviceSpec::Flex));", "first-step loss differs"),
    # 09: the takeaways' runs.
    ("09_takeaways", "linear", "adam.clone().with_hidden(Vec::<usize>::new())", "adam.clone().with_hidden(vec![64])", None),
    ("09_takeaways", "lowlr", "let lrs = [1e-4, 1e-2, 1.0];", "let lrs = [1e-2, 1e-2, 1.0];", None),
]


def run_one(path, out):
    """Executes one mutant in its own kernel; returns (caught, run_notebooks' output)."""
    run = subprocess.run([sys.executable, str(ROOT / "scripts/run_notebooks.py"), str(out / path.stem), path.stem],
                         capture_output=True, text=True)
    line = next((l for l in run.stdout.splitlines() if l.startswith(path.stem + ":")), "")
    return "FAILED" in line, run.stdout + run.stderr


def mutant(lesson, old, new):
    """The lesson with `old` replaced by `new` in every cell that has it, or None."""
    nb = json.loads((BOOKS / f"{lesson}.ipynb").read_text())
    hits = 0
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if old in text:
            cell["source"] = text.replace(old, new).splitlines(keepends=True)
            hits += 1
    return nb if hits else None


def main():
    # A stop (Ctrl-C, kill) still removes the mutant from notebooks/.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args = sys.argv[1:]
    out = pathlib.Path(args[0] if args else "out/mutations")
    picked = set(args[1:])
    unknown = picked - {m[1] for m in MUTATIONS}
    if unknown:
        sys.exit(f"no mutation named {', '.join(sorted(unknown))}; the names: {', '.join(m[1] for m in MUTATIONS)}")
    chosen = [m for m in MUTATIONS if not picked or m[1] in picked]
    problems, ran = [], 0
    # One mutant at a time, and only while it runs, sits beside the lessons.
    for k, (lesson, name, old, new, expect) in enumerate(chosen, 1):
        nb = mutant(lesson, old, new)
        if nb is None:
            problems.append(f"{lesson}: the mutation '{name}' no longer applies (text not found)")
            continue
        path = BOOKS / f"9{k:02}_mut_{name}.ipynb"
        try:
            path.write_text(json.dumps(nb, indent=1))
            caught, text = run_one(path, out)
        finally:
            path.unlink(missing_ok=True)
        ran += 1
        if not caught:
            problems.append(f"{path.stem}: the mutant passed: its Check cell cannot catch the change")
        elif expect is None and "panicked" not in text:
            problems.append(f"{path.stem}: failed, but not in an assertion: caught by something other than a check")
            print(text[-2000:])
        elif expect is not None and expect not in text:
            problems.append(f"{path.stem}: failed, but not with {expect!r}: caught by something other than its check")
            print(text[-2000:])
        else:
            print(f"{path.stem}: caught" + (f" ({expect!r})" if expect else ""), flush=True)
    print("\n".join(problems) if problems else f"all {ran} mutations caught")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
