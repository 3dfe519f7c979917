"""The backend a run keeps between stages (`pipeline.stages.Engines`)."""

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


def test_backends_without_weights_are_left_to_their_stage():
    assert Engines().factory("fake", lambda: pytest.fail("no spec needed")) is None


def test_traits_are_read_on_the_class():
    from mathdistill.sampling.base import backend_class

    assert not backend_class("fake").loads_local_weights and not backend_class("openai").loads_local_weights
    assert backend_class("openai").chat_api and not backend_class("hf").chat_api
    assert backend_class("hf").runs_nat and not backend_class("vllm").runs_nat
    assert backend_class("hf").seed_mode == "batch" and backend_class("vllm").seed_mode == "request"
