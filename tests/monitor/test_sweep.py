"""The collector pause around a sweep: held while any sweep runs, restored afterwards."""

from __future__ import annotations

import gc

import pytest

from monitor.sweep import collection_deferred


def test_pauses_the_collector_and_restores_it_even_on_error() -> None:
    assert gc.isenabled()
    with collection_deferred():
        assert not gc.isenabled()
        with collection_deferred():  # nested: one pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    @collection_deferred()
    def failing_sweep() -> None:
        assert not gc.isenabled()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_sweep()
    assert gc.isenabled()


def test_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with collection_deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
