"""RunConfig -> the ordered list of stages, each with its resolved stage config and folder.

Folders (rounds == 1):  sample (or import), curate, train_<step>, eval_base, eval_<step>, report.html,
plus sample_student and curate_student right after the step `student_samples.step` names.
The base student is evaluated right after sampling (so a parked vLLM engine is reused), or after
round 1's training when the eval names a trained folder (an ASC ranker); order changes no result.
With rounds > 1 every per-round folder gets a `_r<k>` suffix (sample_r2, train_sft_r2, ...).

Placeholders in any string of a train step or of the eval config name earlier folders:
`{train_neg}` (a step of the same round), `{train_neg_r1}` (an exact folder), `{curate}`,
`{sample}`, `{sample_student}`, `{curate_student}`, `{run}`, `{teacher}`, `{student}`. They are
resolved here, at plan time, so `--dry-run` shows the real paths.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.config import build
from mathdistill.curation.config import FORMAT_FILES
from mathdistill.errors import ConfigError
from mathdistill.pipeline.config import STEP_KEYS, RunConfig, _merge, step_name
from mathdistill.training.methods import method_spec

KINDS = ("import", "sample", "curate", "train", "eval", "report")
_PH = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


@dataclass
class Stage:
    id: str  # folder name under the run dir (report: report.html)
    kind: str  # one of KINDS
    round: int  # 0: not part of a round (eval_base, report)
    config: Any  # the resolved stage config (SampleConfig, CurateConfig, TrainConfig, EvalConfig, ImportArgs)
    path: Path
    label: str = ""  # eval: the model's name in the summary (base, sft, ...)
    inputs: list[Path] = field(default_factory=list)  # folders it reads (curate: the sample dirs of all rounds)

    def matches(self, names: set[str]) -> bool:
        """`--stages` selection: by kind (train), folder (train_sft_r2) or folder without round (train_sft)."""
        return bool({self.kind, self.id, re.sub(r"_r\d+$", "", self.id)} & names)


def resolve_backend(name: str | None) -> str | None:
    if name != "auto":
        return name
    import importlib.util

    return "vllm" if importlib.util.find_spec("vllm") is not None else "hf"


def run_template(cfg: RunConfig) -> str:
    """The template the student is trained and evaluated with (and curated rows are rendered with)."""
    from mathdistill.data.prompts import default_template

    return cfg.template or cfg.sample.template or default_template(cfg.data.train)


def sample_template(cfg: RunConfig) -> str:
    """The template the teacher is sampled with: `teacher_template` when set (DART), else the run's."""
    return cfg.teacher_template or run_template(cfg)


def _sub(value: Any, ph: dict[str, str], where: str) -> Any:
    if isinstance(value, str):
        def one(m: re.Match) -> str:
            if m.group(1) not in ph:
                raise ConfigError(f"{where}: unknown placeholder '{{{m.group(1)}}}' "
                                  f"(known here: {', '.join('{' + k + '}' for k in ph)})")
            return ph[m.group(1)]

        return _PH.sub(one, value)
    if isinstance(value, list):
        return [_sub(v, ph, where) for v in value]
    if isinstance(value, dict):
        return {k: _sub(v, ph, f"{where}.{k}") for k, v in value.items()}
    return value


def _sub_dataclass(obj: Any, ph: dict[str, str], where: str) -> Any:
    return build(type(obj), _sub(dataclasses.asdict(obj), ph, where))


def default_data(method: str, curate_dir: Path, formats: list[str], where: str) -> tuple[list[str], list[str]]:
    """The curated files a method trains on (its row of the methods table): (data, negatives)."""
    choices = method_spec(method).curated
    for data, negs in choices:
        if all(f in formats for f in data + negs):
            return [str(curate_dir / FORMAT_FILES[f]) for f in data], [str(curate_dir / FORMAT_FILES[f]) for f in negs]
    want = " or ".join("+".join(FORMAT_FILES[f] for f in d + n) for d, n in choices)
    first = "+".join(choices[0][0] + choices[0][1])
    raise ConfigError(f"{where} ({method}) trains on curated {want}, but curate.formats is {formats}; "
                      f"add {first} to curate.formats or give the step its own `data`")


def build_plan(cfg: RunConfig, run_dir: str | Path) -> list[Stage]:
    run = Path(run_dir)
    backend = resolve_backend(cfg.backend)
    template, teacher_template = run_template(cfg), sample_template(cfg)
    suffix = (lambda r: "") if cfg.rounds == 1 else (lambda r: f"_r{r}")
    names: list[str] = []
    for i, step in enumerate(cfg.train):
        names.append(step_name(step, i, names))
    evaluated = [n for n, s in zip(names, cfg.train, strict=True)
                 if s.get("eval", method_spec(s["method"]).evaluated)]
    round_model = cfg.round_model or (evaluated[0] if evaluated else None)
    if cfg.rounds > 1 and round_model is None:
        raise ConfigError("rounds > 1 needs a train step that makes a generator (or set round_model)")

    ph: dict[str, str] = {"run": str(run), "teacher": cfg.teacher, "student": cfg.student}
    ev_base = dataclasses.replace(
        cfg.eval, data=list(cfg.data.test), split=cfg.data.test_split, limit=cfg.data.test_limit,
        data_dir=cfg.eval.data_dir or cfg.data.data_dir, template=cfg.template or cfg.eval.template or template,
        backend=backend or cfg.eval.backend)
    stages: list[Stage] = []

    sample_dirs: list[Path] = []
    for r in range(1, cfg.rounds + 1):
        sx = suffix(r)
        if r == 1 and cfg.import_pool.path:
            sid = "import"
            scfg: Any = cfg.import_pool
            stages.append(Stage(sid, "import", r, scfg, run / sid))
        else:
            sid = "sample" + sx
            model = cfg.teacher if r == 1 else str(run / f"train_{round_model}{suffix(r - 1)}")
            scfg = dataclasses.replace(
                cfg.sample, data=cfg.data.train, split=cfg.data.train_split, limit=cfg.data.train_limit,
                data_dir=cfg.sample.data_dir or cfg.data.data_dir, template=teacher_template if r == 1 else template,
                model=model,
                teacher_name=cfg.sample.teacher_name if r == 1 else model,
                backend=backend or cfg.sample.backend, out=str(run / sid), progress=cfg.progress)
            stages.append(Stage(sid, "sample", r, scfg, run / sid))
        sample_dirs.append(run / sid)
        cid = "curate" + sx
        ccfg = dataclasses.replace(cfg.curate, template=template, data_dir=cfg.curate.data_dir or cfg.data.data_dir)
        stages.append(Stage(cid, "curate", r, ccfg, run / cid, inputs=list(sample_dirs)))
        ph.update({sid: str(run / sid), cid: str(run / cid)})
        local = {"sample": str(run / sid), "curate": str(run / cid)}
        for i, (name, step) in enumerate(zip(names, cfg.train, strict=True)):
            tid = f"train_{name}{sx}"
            where = f"train[{i}]"
            d: dict[str, Any] = {"output_dir": str(run / tid), "template": template}
            if method_spec(step["method"]).student:  # the ranker's `model` is its encoder, not the student
                d["model"] = cfg.student
            if "data" not in step and "data" not in cfg.train_defaults:
                d["data"], negs = default_data(step["method"], run / cid, ccfg.formats, where)
                if negs and "negatives" not in step:
                    d["negatives"] = negs
            d.update(cfg.train_defaults)
            d.update({k: v for k, v in step.items() if k not in STEP_KEYS})
            d["output_dir"] = str(run / tid)  # the run owns its folders
            tcfg = _build_train(_sub(d, {**ph, **local}, where), where)
            stages.append(Stage(tid, "train", r, tcfg, run / tid))
            local[f"train_{name}"] = ph[tid] = str(run / tid)
            if name == cfg.student_samples.step:
                for st in student_stages(cfg, run, sx, r, run / tid, step["method"], template, backend):
                    stages.append(st)
                    local[st.id.removesuffix(sx) if sx else st.id] = ph[st.id] = str(st.path)
        # Evals come after all of the round's training: their placeholders may name any step (an ASC ranker).
        ev_round = _sub_dataclass(ev_base, {**ph, **local}, "eval")
        if r == 1 and cfg.eval_base:
            base_stage = Stage("eval_base", "eval", 0, dataclasses.replace(
                ev_round, model=cfg.student, out=str(run / "eval_base")), run / "eval_base", label="base")
            # Right after sampling when the eval names no trained folder (e.g. an ASC ranker): with
            # teacher == student the parked vLLM engine is reused instead of started again.
            try:
                _sub_dataclass(ev_base, {k: v for k, v in {**ph, **local}.items() if not k.startswith("train_")},
                               "eval")
                at = next(i for i, st in enumerate(stages) if st.id == sid) + 1
            except ConfigError:
                at = len(stages)
            stages.insert(at, base_stage)
        methods = {n: method_spec(s["method"]) for n, s in zip(names, cfg.train, strict=True)}
        for name in evaluated:
            eid, tid = f"eval_{name}{sx}", f"train_{name}{sx}"
            ecfg = dataclasses.replace(ev_round, model=str(run / tid), out=str(run / eid))
            needs = methods[name].eval_backend
            if needs and ecfg.backend == "vllm":
                # vLLM cannot run it (the NAT integration unit); HF generate needs big batches on CPU.
                ecfg = dataclasses.replace(ecfg, backend=needs, backend_kwargs={
                    "batch_size": 32, **{k: v for k, v in ecfg.backend_kwargs.items() if k in ("seed", "batch_size")}})
            stages.append(Stage(eid, "eval", r, ecfg, run / eid, label=name + sx))
    if cfg.report:
        stages.append(Stage("report", "report", 0, None, run / "report.html"))
    return stages


def student_stages(cfg: RunConfig, run: Path, sx: str, r: int, model_dir: Path, method: str, template: str,
                   backend: str | None) -> list[Stage]:
    """sample_student (the trained step's model on the training split) and curate_student (from those
    samples only): TDG's ranker groups come from the NAT student's own samples (methods.md 3.6)."""
    from mathdistill.curation.config import CurateConfig
    from mathdistill.sampling.config import SampleConfig

    ss = cfg.student_samples
    sid, cid = "sample_student" + sx, "curate_student" + sx
    sample_backend = backend or cfg.sample.backend
    needs = method_spec(method).eval_backend
    if needs and sample_backend == "vllm":
        sample_backend = needs  # vLLM cannot run it (the NAT integration unit)
    # One engine on the trained folder (its backend prepares it); Ray shards are for the teacher's big pool.
    base = {**dataclasses.asdict(cfg.sample), "ray": False}
    try:
        scfg = build(SampleConfig, _merge(base, ss.sample), prefix="student_samples.sample.")
        ccfg = build(CurateConfig, _merge(dataclasses.asdict(cfg.curate), ss.curate), prefix="student_samples.curate.")
    except ConfigError as e:
        raise ConfigError(f"student_samples: {e}") from None
    scfg = dataclasses.replace(
        scfg, data=cfg.data.train, split=cfg.data.train_split, limit=cfg.data.train_limit,
        data_dir=scfg.data_dir or cfg.data.data_dir, template=template, model=str(model_dir),
        teacher_name=str(model_dir), backend=sample_backend, out=str(run / sid), progress=cfg.progress)
    ccfg = dataclasses.replace(ccfg, template=template, data_dir=ccfg.data_dir or cfg.data.data_dir)
    return [Stage(sid, "sample", r, scfg, run / sid),
            Stage(cid, "curate", r, ccfg, run / cid, inputs=[run / sid])]


def _build_train(d: dict[str, Any], where: str) -> Any:
    from mathdistill.training.config import TrainConfig

    try:
        return build(TrainConfig, d, prefix=where + ".")
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
