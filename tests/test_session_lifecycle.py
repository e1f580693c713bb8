"""The HTTP sessions a model opens, one per event loop: closed when the loop shuts down, and
sooner when the model is dropped while its loop runs (a model made per request on a
long-lived loop must not keep every one's connections open). A model dropped just before
its loop ends (a notebook cell's local model) leaves no unclosed connector behind."""

from __future__ import annotations

import asyncio
import gc
import warnings

from aiochain import ChatOpenAI
from aiochain._http import connections


def test_a_dropped_model_closes_its_session_while_the_loop_runs(sim_in_thread: str) -> None:
    async def main() -> list[int]:
        parked = []
        for _ in range(4):
            model = ChatOpenAI(base_url=sim_in_thread, api_key="k")
            await model.ainvoke("hi. there.")
            before = len(connections._PARKED)
            del model
            gc.collect()
            for _ in range(50):  # its closing runs as a task on this loop
                await asyncio.sleep(0.005)
                if len(connections._PARKED) < before:
                    break
            parked.append(before - len(connections._PARKED))
        return parked

    assert asyncio.run(main()) == [1, 1, 1, 1]


def test_a_model_dropped_as_its_loop_ends_leaves_nothing_open(sim_in_thread: str) -> None:
    """Dropped in the last step of the loop: the loop's shutdown still closes its session
    (no 'Unclosed connector' warning when it is collected)."""

    async def cell() -> None:
        model = ChatOpenAI(base_url=sim_in_thread, api_key="k")
        await model.ainvoke("hi. there.")
        del model
        gc.collect()  # its closing is now scheduled, but the loop ends before it runs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            with asyncio.Runner() as runner:
                runner.run(cell())
            gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]
    assert not connections._PARKED
