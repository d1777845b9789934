#!/usr/bin/env python3
"""Times a fresh kernel the way a student meets it: the first cell (`:dep tunelab`), the first
cell that uses tunelab, then warm cells. Prints one JSON line.

  notebook_timing.py REPO [--cold] [--kernel-exe PATH --label NAME]

--cold runs the kernel with an empty build directory (a temporary copy of the kernel spec whose
EVCXR_TMPDIR points at a new folder), so the first cell compiles every dependency: that is the
time the set-up's warm-up saves a student (tens of minutes on 2 cores).

--kernel-exe runs another evcxr_jupyter binary with the same settings and build directory (the
stock kernel, for the patch on/off comparison in scripts/bench.sh); --label names it in the
JSON line ("kernel")."""
import json
import os
import pathlib
import re
import shutil
import statistics
import sys
import tempfile
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

WARM_CELLS = 5

# The notebooks' own `:dep` features: the library without the command line (clap, mimalloc).
LIBRARY_FEATURES = 'default-features = false, features = ["flex", "ndarray"]'


def cells(repo):
    """The cells, and the kind of each warm one: `one` cells end in a tunelab value (shown
    through its evcxr_display) or in a statement; `plain` cells end in a value without
    evcxr_display (a number), which evcxr compiles twice: first trying .evcxr_display(), then
    falling back to Debug."""
    first = f':dep tunelab = {{ path = "{repo}", {LIBRARY_FEATURES} }}'
    use = ("use tunelab::*;\n"
           "let splits = data::digits()?.split(&SplitConfig::default())?;\n"
           "splits.train.n_samples()")
    train = "let run = train(&splits, &TrainConfig::default().with_epochs(2))?;"
    show = "run.diagnose()?"
    plain = "run.epochs.len()"
    warm = [(train, "one"), (show, "one"), (plain, "plain")] * WARM_CELLS
    return [first, use] + [c for c, _ in warm], [k for _, k in warm]


def main():
    repo = os.path.abspath(sys.argv[1])
    cold = "--cold" in sys.argv[2:]
    opt = lambda name: sys.argv[sys.argv.index(name) + 1] if name in sys.argv[2:] else None
    exe, label = opt("--kernel-exe"), opt("--label") or "installed"
    kernel = "rust"
    tmp = build = None
    if exe or cold:
        # A temporary copy of the registered kernel spec, with the other binary and/or an
        # empty build directory.
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="tunelab-timing-"))
        spec = KernelSpecManager().get_kernel_spec("rust")
        data = json.loads((pathlib.Path(spec.resource_dir) / "kernel.json").read_text())
        if exe:
            data["argv"][0] = os.path.abspath(exe)
        if cold:
            # A new, empty build directory beside the configured one, so that its parent's
            # .cargo/config.toml (optimised dependencies) still applies. evcxr.toml's tmpdir
            # wins over EVCXR_TMPDIR, so the kernel also gets a copy of the config pointing
            # there.
            build = pathlib.Path(data["env"]["EVCXR_TMPDIR"]).parent / f"build-cold-{os.getpid()}"
            data["env"]["EVCXR_TMPDIR"] = str(build)
            config = tmp / "config"
            shutil.copytree(data["env"]["EVCXR_CONFIG_DIR"], config)
            toml = config / "evcxr.toml"
            toml.write_text(re.sub(r'(?m)^tmpdir = .*$', f'tmpdir = "{build}"', toml.read_text()))
            data["env"]["EVCXR_CONFIG_DIR"] = str(config)
        kernel = "rust-timed"
        kdir = tmp / "kernels" / kernel
        kdir.mkdir(parents=True)
        (kdir / "kernel.json").write_text(json.dumps(data))
        os.environ["JUPYTER_PATH"] = str(tmp) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    nb = nbformat.v4.new_notebook()
    sources, kinds = cells(repo)
    nb.cells = [nbformat.v4.new_code_cell(c) for c in sources]
    client = NotebookClient(nb, kernel_name=kernel, timeout=3600, startup_timeout=1800,
                            resources={"metadata": {"path": str(pathlib.Path(repo) / "notebooks")}})
    times = []
    t_start = time.time()
    try:
        with client.setup_kernel():
            started = time.time() - t_start
            for i, cell in enumerate(nb.cells):
                t0 = time.time()
                client.execute_cell(cell, i)
                times.append(time.time() - t0)
                for out in cell.outputs:
                    if out.get("output_type") == "error" or "panicked at" in out.get("text", ""):
                        sys.exit(f"cell {i} failed: {out}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)
    warm = [t for t, k in zip(times[2:], kinds) if k == "one"]
    plain = [t for t, k in zip(times[2:], kinds) if k == "plain"]
    print(json.dumps({
        "what": "notebook", "cache": "cold" if cold else "warm", "kernel": label,
        "kernel_start_s": round(started, 2),
        "dep_cell_s": round(times[0], 2),
        "first_use_cell_s": round(times[1], 2),
        "first_answer_s": round(started + times[0] + times[1], 2),
        "warm_cell_median_s": round(statistics.median(warm), 2),
        "warm_cell_max_s": round(max(warm), 2),
        "warm_cells": [round(t, 2) for t in warm],
        "plain_value_cell_median_s": round(statistics.median(plain), 2),
    }))


if __name__ == "__main__":
    main()
