#!/usr/bin/env python3
"""Writes notebooks/*.ipynb from the lesson texts below (outputs empty).

The lessons live here as code so that their cells stay consistent; run this after editing,
then commit both. Cells tagged "chart" must produce a plotly figure and HTML when executed
(scripts/test-notebooks.sh checks it)."""
import json
import pathlib

DEP = ':dep tunelab = { path = ".." }'
SETUP = "use tunelab::*;\nuse tunelab::diagnose::Pattern;"


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text, chart=False):
    meta = {"tags": ["chart"]} if chart else {}
    return {"cell_type": "code", "metadata": meta, "execution_count": None,
            "outputs": [], "source": text.strip("\n")}


def notebook(name, cells):
    for i, cell in enumerate(cells):
        cell["id"] = f"{name[:2]}-{i:02d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"name": "rust", "file_extension": ".rs",
                              "mimetype": "text/rust", "codemirror_mode": "rust",
                              "pygment_lexer": "rust", "version": ""},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def intro(title, text):
    return [md(f"# {title}\n\n{text}"),
            code(DEP),
            code(SETUP)]


LESSONS = {}

LESSONS["01_quickstart_baseline"] = intro(
    "01 · Quickstart: a baseline",
    "Every tuning session starts from a **baseline**: a model trained with good default "
    "settings, so that every later change can be judged against it. The tuning guide's "
    "defaults: Adam, AdamW and RMSprop at learning rate 1e-3, SGD and SGD with momentum at "
    "1e-2, batch size 64, a modest MLP.\n\nThe first cell compiles tunelab (fast after "
    "`scripts/jupyter.sh` has warmed the cache).") + [
    md("## The data\nThe 8x8 handwritten digits: 1797 images of 64 pixels, 10 classes. We "
       "split it into train, validation and test parts (stratified, seeded) and standardise "
       "the features with statistics of the training part only."),
    code('let data = data::digits()?;\nprintln!("{data}");\nlet splits = data.split(&SplitConfig::default())?;\nprintln!("{splits}");'),
    md("## The guide's default learning rates"),
    code('for o in OptimizerKind::ALL {\n    println!("{:<13} default lr {}", o.name(), o.default_lr());\n}'),
    md("## Train the baseline\nOne progress line per epoch. The run records every step (loss, "
       "learning rate, gradient norm) and every epoch (train and validation loss and "
       "accuracy)."),
    code('let config = TrainConfig::new(OptimizerKind::Adam).with_epochs(15);\nlet run = train_verbose(&splits, &config)?;'),
    md("## Read the curves\nBoth losses fall; the gap between them is what later lessons "
       "work on."),
    code("run", chart=True),
    md("## Let tunelab read them too"),
    code("let diagnosis = run.diagnose()?;\ndiagnosis"),
    md("## Check\nA notebook that is also a test: these assertions fail loudly if the "
       "baseline stops working."),
    code('let acc = run.final_metrics().unwrap().val_accuracy;\nassert!(acc >= 0.95, "baseline val accuracy {acc}");\nassert_eq!(run.outcome, Outcome::Completed);\nassert!(run.epochs.last().unwrap().train_loss < run.epochs[0].train_loss);\nprintln!("baseline val accuracy {acc:.4}");'),
]

LESSONS["02_learning_rate"] = intro(
    "02 · The learning rate",
    "The learning rate matters more than any other hyperparameter. Too high and the loss "
    "explodes or oscillates; too low and it crawls. The guide's rules: **exploding or NaN: "
    "cut the LR 10x; wild oscillation: cut it 2-5x; slow decrease: raise it 2-5x**.") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;"),
    md("## Too high: SGD at lr 10\nThe run does not fail with an error: it ends as "
       "`Diverged`, with the step where the loss blew up, and the diagnosis says what to do."),
    code("let high = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(10.0).with_epochs(5))?;\nprintln!(\"{}\", high.outcome);\nhigh.diagnose()?"),
    md("## Too low: SGD at lr 1e-5"),
    code("let low = train(&splits, &TrainConfig::new(OptimizerKind::Sgd).with_lr(1e-5).with_epochs(10))?;\nlow", chart=True),
    code("low.diagnose()?"),
    md("## Just right: the LR range test\nTrain for 100 steps while the LR grows from 1e-7 "
       "to 10, smooth the loss, and read suggestions off the curve. tunelab runs it on "
       "copies of the model and optimizer, and says *uncertain* when the curve cannot be "
       "trusted."),
    code("let config = TrainConfig::new(OptimizerKind::Adam);\nlet finder = lr_find(&splits, &config, &LrFinderConfig::default())?;\nfinder", chart=True),
    md("## How stable is the suggestion? Repeat over seeds"),
    code("let repeated = lr_find(&splits, &config, &LrFinderConfig::default().with_seeds(3))?;\nprintln!(\"{repeated}\");"),
    md("## Train at the recommendation"),
    code("let lr = finder.recommended().unwrap_or(1e-3);\nlet tuned = train_verbose(&splits, &config.clone().with_lr(lr).with_epochs(10))?;\ntuned", chart=True),
    md("## The finder leaves the model and optimizer as they were"),
    code("let fitted = fit(&splits, &config.clone().with_epochs(1), &mut |_, _| {})?;\nlet before = fitted.model.flat_params()?;\nlet _ = lr_find_with(&fitted.model, &fitted.optim, &splits, &config, &LrFinderConfig::default())?;\nassert_eq!(fitted.model.flat_params()?, before);\nprintln!(\"weights unchanged after the range test\");"),
    md("## Check"),
    code('assert!(high.outcome.is_diverged());\nassert!(high.diagnose()?.has(Pattern::Exploding));\nlet d = low.diagnose()?;\nassert!(d.has(Pattern::Slow) || d.has(Pattern::NotDecreasing) || d.has(Pattern::Underfitting), "{d}");\nassert!((1e-4..=3e-2).contains(&lr), "recommended {lr}");\nlet acc = tuned.final_metrics().unwrap().val_accuracy;\nassert!(acc >= 0.95, "{acc}");\nprintln!("lr {lr:.2e}: val accuracy {acc:.4}");'),
]

LESSONS["03_batch_size"] = intro(
    "03 · Batch size",
    "Small batches give noisy gradients (which can regularise) and many steps per epoch; "
    "large batches give smooth gradients and fast epochs on parallel hardware, but need a "
    "larger learning rate. When you change the batch size, scale the LR: the **square-root "
    "rule** (lr x sqrt(new/old)) or the **linear rule** (lr x new/old), then re-tune around "
    "it. Memory limits the batch; **gradient accumulation** gets a larger effective batch "
    "from several small ones.") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nprintln!(\"{}\", advise::batch_size_for(splits.train.n_samples())?);"),
    code("println!(\"{}\", advise::scale_lr(1e-3, 64, 256)?);"),
    md("## Three batch sizes, LR scaled by the square-root rule\nOne change at a time: the "
       "batch size with its scaled LR is declared as one coupled change in the log."),
    code("let mut log = ExperimentLog::new();\nlet base = TrainConfig::new(OptimizerKind::Adam).with_epochs(10);\nlet base_run = train(&splits, &base)?;\nlet parent = log.add_entry(Entry::new(&base_run).step(\"batch_size\").notes(\"batch 64\"))?;\nfor b in [16usize, 256] {\n    let lr = base.lr() * (b as f64 / 64.0).sqrt();\n    let run = train(&splits, &base.clone().with_batch_size(b).with_lr(lr))?;\n    log.add_entry(Entry::new(&run).parent(parent).step(\"batch_size\").notes(format!(\"batch {b}\")).coupled(&[\"batch_size\", \"lr\"]))?;\n}\nlog", chart=True),
    md("## Memory: the largest batch for a budget"),
    code("let mlp = MlpConfig::new(64, 10).with_hidden(vec![512, 512]);\nprintln!(\"{}\", advise::memory_estimate(&mlp, OptimizerKind::Adam, 64, 4));\nlet largest = advise::largest_batch(&mlp, OptimizerKind::Adam, 8 * 1024 * 1024)?;\nprintln!(\"largest batch within 8 MiB: {largest}\");\nprintln!(\"{}\", advise::accumulation_plan(256, largest.min(64))?);"),
    md("## Accumulation gives the same update as the big batch"),
    code("let one = TrainConfig::new(OptimizerKind::Sgd).with_lr(0.1).with_max_steps(1);\nlet big = fit(&splits, &one.clone().with_batch_size(64), &mut |_, _| {})?;\nlet acc4 = fit(&splits, &one.clone().with_batch_size(16).with_accumulate(4), &mut |_, _| {})?;\nlet diff = big.model.flat_params()?.iter().zip(acc4.model.flat_params()?).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);\nprintln!(\"largest weight difference: {diff:e}\");"),
    md("## Check"),
    code('assert_eq!(log.len(), 3);\nassert!(log.rows().iter().all(|r| r.warnings.is_empty()), "coupled changes are one change");\nassert!(diff < 1e-5);\nassert!(largest >= 1);\nprintln!("ok");'),
]

LESSONS["04_architecture"] = intro(
    "04 · Architecture: depth and width",
    "Start simple and add capacity only when the model underfits. The guide's list to try: "
    "[64], [128], [64, 32], [128, 64], [128, 64, 32]. Trials are independent, so they run in "
    "parallel on the CPU threads available.") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nfor a in advise::architectures() { println!(\"{a:?}\"); }"),
    code("let archs: Vec<Vec<usize>> = study::ARCHITECTURES.iter().map(|a| a.to_vec()).collect();\nlet base = TrainConfig::new(OptimizerKind::Adam).with_lr(3e-3).with_epochs(10);\nlet runs = parallel::parallel_map(archs.clone(), 0, |h| train(&splits, &base.clone().with_hidden(h)));\nlet mut log = ExperimentLog::new();\nfor r in runs { let r = r?; log.add_entry(Entry::new(&r).step(\"architecture\"))?; }\nlog", chart=True),
    code("let best = log.best(Metric::ValAccuracy).cloned().unwrap();\nprintln!(\"best: hidden {} with val accuracy {:.4}\", best.hidden, best.val_accuracy);"),
    md("## The runs as a polars DataFrame\nFilter, sort and group them like any table."),
    code("use tunelab::polars::prelude::*;\nlet df = log.runs()?;\nlet sorted = df.sort([\"val_accuracy\"], SortMultipleOptions::default().with_order_descending(true))?;\nprintln!(\"{}\", sorted.select([\"run_id\", \"hidden\", \"val_loss\", \"val_accuracy\"])?);"),
    md("## Check"),
    code('assert_eq!(log.len(), 5);\nassert!(best.val_accuracy >= 0.95, "{}", best.val_accuracy);\nprintln!("ok");'),
]

LESSONS["05_regularization"] = intro(
    "05 · Regularisation: over- and underfitting",
    "**Overfitting**: train loss far below validation loss, or validation loss rising while "
    "train loss falls. Fix: dropout 0.2-0.3, weight decay 1e-4, early stopping, more data. "
    "**Underfitting**: both losses high. Fix: more capacity, less regularisation, a higher "
    "LR, longer training.") + [
    md("## Overfitting on purpose: 120 training samples, a wide net, many epochs"),
    code("let small = data::digits()?.split(&SplitConfig::default())?.with_train_size(120)?;\nlet wide = TrainConfig::new(OptimizerKind::Adam).with_lr(3e-3).with_hidden(vec![256, 256]).with_batch_size(32).with_epochs(80);\nlet over = train(&small, &wide)?;\nover", chart=True),
    code("let d_over = over.diagnose()?;\nd_over"),
    code("println!(\"{}\", advise::regularization_advice(over.final_metrics().unwrap().train_loss, over.final_metrics().unwrap().val_loss)?);"),
    md("## Dropout and weight decay"),
    code("let dropped = train(&small, &wide.clone().with_dropout(0.3))?;\nlet decayed = train(&small, &wide.clone().with_weight_decay(1e-3))?;\nlet stopped = train(&small, &wide.clone().with_early_stopping(EarlyStopping::new(5)))?;\nlet mut log = ExperimentLog::new();\nlet p = log.add_entry(Entry::new(&over).step(\"regularization\").notes(\"no regularisation\"))?;\nfor (r, n) in [(&dropped, \"dropout 0.3\"), (&decayed, \"weight decay 1e-3\"), (&stopped, \"early stopping\")] {\n    log.add_entry(Entry::new(r).parent(p).step(\"regularization\").notes(n))?;\n}\nlog", chart=True),
    md("## Underfitting: a hidden layer of 2 units"),
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nlet under = train(&splits, &TrainConfig::new(OptimizerKind::Adam).with_hidden(vec![2]).with_epochs(10))?;\nlet d_under = under.diagnose()?;\nd_under"),
    md("## Check"),
    code('assert!(d_over.has(Pattern::Overfitting), "{d_over}");\nassert!(d_under.has(Pattern::Underfitting), "{d_under}");\nassert!(dropped.best().unwrap().val_loss < over.final_metrics().unwrap().val_loss);\nassert!(matches!(stopped.outcome, Outcome::EarlyStopped { .. }));\nprintln!("ok");'),
]

LESSONS["06_systematic_study"] = intro(
    "06 · The systematic study, start to finish",
    "The guide's process as code: **baseline, learning rate, architecture, batch size, "
    "regularisation, fine-tuning** (schedules, early stopping, longer training). Each step "
    "changes one thing, selects on validation data only, records every trial with its "
    "parent, and carries the winner forward. The test set is touched once, at the end.") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nlet out = std::env::temp_dir().join(\"tunelab-notebook-study\");\nlet study = run_study(&splits, &StudyConfig::budget(Budget::Quick), ExperimentLog::with_autosave(&out).quiet())?;\nstudy", chart=True),
    md("## Every experiment, in polars"),
    code("use tunelab::polars::prelude::*;\nlet runs = study.log.runs()?;\nprintln!(\"{}\", runs.select([\"run_id\", \"parent_id\", \"step\", \"lr\", \"batch_size\", \"hidden\", \"val_accuracy\", \"changed\"])?);"),
    code("let lr_step = runs.filter(&runs.column(\"step\")?.str()?.equal(\"learning_rate\"))?;\nlet by_acc = lr_step.sort([\"val_accuracy\"], SortMultipleOptions::default().with_order_descending(true))?;\nprintln!(\"{}\", by_acc.select([\"run_id\", \"lr\", \"val_loss\", \"val_accuracy\"])?);"),
    md("## The log was saved after every trial: reload it"),
    code("let reloaded = ExperimentLog::load(&out)?;\nprintln!(\"{} runs reloaded from {}\", reloaded.len(), out.display());\nreloaded.compare(&[1, study.best_run_id])?"),
    md("## Check"),
    code('assert!(study.test_accuracy >= 0.97, "test accuracy {}", study.test_accuracy);\nassert_eq!(reloaded.len(), study.log.len());\nassert!(study.steps.iter().any(|s| s.name == "learning_rate"));\nprintln!("test accuracy {:.4} after {} runs", study.test_accuracy, study.log.len());'),
]

LESSONS["07_gallery"] = intro(
    "07 · A gallery of broken runs",
    "Classroom demos: each run is broken in one typical way; the chart shows the symptom and "
    "the diagnosis names it, with the evidence in numbers and the action to take.") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nlet sgd = TrainConfig::new(OptimizerKind::Sgd);"),
    md("## Exploding: SGD at lr 10"),
    code("let exploding = train(&splits, &sgd.clone().with_lr(10.0).with_epochs(5))?;\nexploding", chart=True),
    code("exploding.diagnose()?"),
    md("## Crawling: SGD at lr 1e-4"),
    code("let crawling = train(&splits, &sgd.clone().with_lr(1e-4).with_epochs(15))?;\ncrawling.diagnose()?"),
    md("## Memorising: a tiny training set and a wide net"),
    code("let tiny = splits.clone().with_train_size(100)?;\nlet memorising = train(&tiny, &TrainConfig::new(OptimizerKind::Adam).with_lr(3e-3).with_hidden(vec![512]).with_batch_size(20).with_epochs(100))?;\nmemorising", chart=True),
    code("memorising.diagnose()?"),
    md("## Too small to learn: hidden size 2"),
    code("let starved = train(&splits, &TrainConfig::new(OptimizerKind::Adam).with_hidden(vec![2]).with_epochs(10))?;\nstarved.diagnose()?"),
    md("## Check"),
    code('assert!(exploding.diagnose()?.has(Pattern::Exploding));\nlet c = crawling.diagnose()?;\nassert!(c.has(Pattern::Slow) || c.has(Pattern::NotDecreasing), "{c}");\nassert!(memorising.diagnose()?.has(Pattern::Overfitting));\nassert!(starved.diagnose()?.has(Pattern::Underfitting));\nprintln!("all four diagnosed");'),
]

LESSONS["08_backends"] = intro(
    "08 · Switching the backend",
    "The training core is burn. By default it runs on burn's **ndarray** CPU backend, which "
    "needs no native library. With the crate's `flex` feature it can run on burn's newer "
    "**flex** CPU backend (pure Rust, about 1.5x faster on this model), and with the `tch` "
    "feature on **libtorch**: on the CPU, or on an NVIDIA GPU when CUDA is present. Switching "
    "is one line in `TrainConfig`: `.with_device(DeviceSpec::Flex)`, "
    "`.with_device(DeviceSpec::TorchCpu)` or `.with_device(DeviceSpec::Cuda(0))`. To build "
    "with another backend, change the first cell to "
    "`:dep tunelab = { path = \"..\", features = [\"flex\"] }` (or `[\"tch\"]` after "
    "running `scripts/setup-libtorch.sh`, see the README).") + [
    code("let splits = data::digits()?.split(&SplitConfig::default())?;\nlet config = TrainConfig::new(OptimizerKind::Adam).with_epochs(5);\nlet cpu = train(&splits, &config.clone().with_device(DeviceSpec::Cpu))?;\nprintln!(\"ndarray CPU: {:.0} samples/s, val accuracy {:.4}\", cpu.samples_per_s, cpu.final_metrics().unwrap().val_accuracy);\ncpu", chart=True),
    md("## flex, if this build has it"),
    code("let flex = train(&splits, &config.clone().with_device(DeviceSpec::Flex));\nmatch &flex {\n    Ok(run) => println!(\"flex CPU: {:.0} samples/s, val accuracy {:.4}\", run.samples_per_s, run.final_metrics().unwrap().val_accuracy),\n    Err(e) => println!(\"flex backend not available in this build: {e}\"),\n}"),
    md("## libtorch, if this build has it"),
    code("let torch = train(&splits, &config.clone().with_device(DeviceSpec::TorchCpu));\nmatch &torch {\n    Ok(run) => println!(\"libtorch CPU: {:.0} samples/s, val accuracy {:.4}\", run.samples_per_s, run.final_metrics().unwrap().val_accuracy),\n    Err(e) => println!(\"libtorch backend not available in this build: {e}\"),\n}"),
    md("## Check\nWithout a feature the error says how to fix it; with it, the backends learn the "
       "same task."),
    code('let cpu_acc = cpu.final_metrics().unwrap().val_accuracy;\nmatch &flex {\n    Ok(run) => assert!((run.final_metrics().unwrap().val_accuracy - cpu_acc).abs() < 0.05),\n    Err(e) => assert!(e.to_string().contains("--features flex"), "{e}"),\n}\nmatch &torch {\n    Ok(run) => assert!((run.final_metrics().unwrap().val_accuracy - cpu_acc).abs() < 0.05),\n    Err(e) => assert!(e.to_string().contains("--features tch"), "{e}"),\n}\nprintln!("ok");'),
]


def main():
    out = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in LESSONS.items():
        path = out / f"{name}.ipynb"
        path.write_text(json.dumps(notebook(name, cells), indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(out.parent)}")


if __name__ == "__main__":
    main()
