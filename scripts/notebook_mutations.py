#!/usr/bin/env python3
"""Checks that the lessons' Check cells can fail: each mutation changes one run so that what
a lesson claims is no longer true, and the notebook must then fail.

  notebook_mutations.py OUTDIR     (run with the virtualenv's python, after scripts/jupyter.sh --setup)

Each mutant is written beside the lessons as notebooks/9N_mut_NAME.ipynb, executed by
run_notebooks.py, and removed afterwards. Exit 1 when a mutant passes (a check that cannot
catch the change it guards against), or when a mutation no longer applies."""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOKS = ROOT / "notebooks"

# (lesson, what the mutation breaks, text in a cell, its replacement)
MUTATIONS = [
    ("02_learning_rate", "curves", "let lrs = [1e-3, 0.1, 1e-5];", "let lrs = [1e-3, 1e-5, 0.1];"),
    ("04_batch_size", "mixed", "advise::Precision::MixedF16);", "advise::Precision::F32);"),
    ("05_regularization", "decay", '("weight decay 1e-3", wide.clone().with_weight_decay(1e-3)),',
     '("weight decay 1e-3", wide.clone().with_weight_decay(1e-7)),'),
    ("07_gallery", "shrink", "&big.clone().with_hidden(vec![64]), 5)", "&big.clone().with_hidden(vec![256, 256]), 5)"),
    ("09_takeaways", "linear", "adam.clone().with_hidden(Vec::<usize>::new())", "adam.clone().with_hidden(vec![64])"),
    ("05_regularization", "input", '("input dropout 0.1", wide.clone().with_input_dropout(0.1)),',
     '("input dropout 0.1", wide.clone().with_input_dropout(0.0)),'),
    ("07_gallery", "stuck", "let stuck_high = train(&splits, &sgd.clone().with_lr(3.0)", "let stuck_high = train(&splits, &sgd.clone().with_lr(0.1)"),
    ("01_quickstart_baseline", "baseline", "let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(15);",
     "let config = TrainConfig::new(OptimizerKind::Adam).with_lr(1e-5).with_epochs(15);"),
]


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/mutations")
    written, problems = [], []
    try:
        for k, (lesson, name, old, new) in enumerate(MUTATIONS, 1):
            nb = json.loads((BOOKS / f"{lesson}.ipynb").read_text())
            hits = 0
            for cell in nb["cells"]:
                text = "".join(cell["source"])
                if old in text:
                    cell["source"] = text.replace(old, new).splitlines(keepends=True)
                    hits += 1
            if not hits:
                problems.append(f"{lesson}: the mutation '{name}' no longer applies (text not found)")
                continue
            path = BOOKS / f"9{k}_mut_{name}.ipynb"
            path.write_text(json.dumps(nb, indent=1))
            written.append(path)
        run = subprocess.run([sys.executable, str(ROOT / "scripts/run_notebooks.py"), str(out), "9"],
                             capture_output=True, text=True)
        for path in written:
            line = next((l for l in run.stdout.splitlines() if l.startswith(path.stem + ":")), "")
            if "FAILED" in line:
                print(f"{path.stem}: caught ({line.split(',')[0]})")
            else:
                problems.append(f"{path.stem}: the mutant passed: its Check cell cannot catch the change")
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    print("\n".join(problems) if problems else f"all {len(MUTATIONS)} mutations caught")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
