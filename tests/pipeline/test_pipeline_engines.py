"""The backend a run keeps between stages (`pipeline.stages.Engines`)."""

from pathlib import Path

import pytest

from mathdistill.pipeline.stages import Engines
from mathdistill.sampling.backends.fake import FakeBackend
from mathdistill.sampling.base import BackendSpec


class Closing(FakeBackend):
    loads_local_weights = True  # stands in for hf/vllm: a backend worth keeping
    closed = 0

    def close(self):
        Closing.closed += 1


@pytest.fixture
def local(monkeypatch):
    from mathdistill.sampling import base

    monkeypatch.setitem(base.BACKENDS, "local", f"{__name__}:Closing")
    Closing.closed = 0


def test_same_engine_is_reused_another_replaces_it_release_closes(local):
    engines = Engines()
    a = engines.factory("local", lambda: BackendSpec("local", "m", {"default": "x"}))()
    # an option given explicitly equals its default left out: the same engine
    b = engines.factory("local", lambda: BackendSpec("local", "m", {"default": "x", "by_seed": False}))()
    assert b is a and Closing.closed == 0
    c = engines.factory("local", lambda: BackendSpec("local", "other", {"default": "x"}))()
    assert c is not a and Closing.closed == 1
    engines.release()
    assert Closing.closed == 2
    engines.release()
    assert Closing.closed == 2


class Reloading(Closing):
    """Loads other weights of its model in place when their name starts like its own."""

    parks = True

    def load_weights(self, model):
        if model.split("-")[0] != self.model.split("-")[0]:
            return False
        self.model = model
        return True

    def park(self):
        return self.parks


@pytest.fixture
def reloading(monkeypatch):
    from mathdistill.sampling import base

    monkeypatch.setitem(base.BACKENDS, "local", f"{__name__}:Reloading")
    Closing.closed = 0
    Reloading.parks = True


def test_other_weights_are_loaded_into_the_running_engine(reloading):
    engines = Engines()
    a = engines.factory("local", lambda: BackendSpec("local", "m-base", {"default": "x"}))()
    b = engines.factory("local", lambda: BackendSpec("local", "m-trained", {"default": "x"}))()
    assert b is a and a.model == "m-trained" and Closing.closed == 0
    # the engine now counts as started for the new weights
    assert engines.factory("local", lambda: BackendSpec("local", "m-trained", {"default": "x"}))() is a
    # other engine arguments: never a reload
    c = engines.factory("local", lambda: BackendSpec("local", "m-other", {"default": "y"}))()
    assert c is not a and Closing.closed == 1
    # a model the engine cannot load: replaced
    d = engines.factory("local", lambda: BackendSpec("local", "z-base", {"default": "y"}))()
    assert d is not c and Closing.closed == 2
    engines.release()


def _stage(kind, backend="local", ray=False):
    from types import SimpleNamespace

    from mathdistill.pipeline.plan import Stage

    cfg = SimpleNamespace(backend=backend, ray=ray) if kind in ("sample", "eval") else SimpleNamespace()
    return Stage(kind, kind, 1, cfg, Path("/nonexistent") / kind)


def test_idle_keeps_a_parkable_engine_only_for_a_later_stage_that_may_take_it(reloading):
    engines = Engines()
    engines.factory("local", lambda: BackendSpec("local", "m-base", {"default": "x"}))()
    engines.idle([_stage("train"), _stage("eval"), _stage("report")])
    assert Closing.closed == 0  # parked for the eval
    engines.idle([_stage("report")])
    assert Closing.closed == 1  # nothing later takes it
    for later in ([_stage("eval", backend="hf")], [_stage("sample", ray=True)]):
        engines.factory("local", lambda: BackendSpec("local", "m-base", {"default": "x"}))()
        engines.idle(later)
    assert Closing.closed == 3
    Reloading.parks = False  # e.g. vLLM on a GPU: training needs the memory
    engines.factory("local", lambda: BackendSpec("local", "m-base", {"default": "x"}))()
    engines.idle([_stage("eval")])
    assert Closing.closed == 4
    engines.idle([_stage("eval")])  # nothing loaded: nothing to do
    assert Closing.closed == 4


def test_backends_without_weights_are_left_to_their_stage():
    assert Engines().factory("fake", lambda: pytest.fail("no spec needed")) is None


def test_traits_are_read_on_the_class():
    from mathdistill.sampling.base import backend_class

    assert not backend_class("fake").loads_local_weights and not backend_class("openai").loads_local_weights
    assert backend_class("openai").chat_api and not backend_class("hf").chat_api
    assert backend_class("hf").runs_nat and not backend_class("vllm").runs_nat
    assert backend_class("hf").seed_mode == "batch" and backend_class("vllm").seed_mode == "request"
