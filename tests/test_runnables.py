"""The runnable toolkit (issue 14): config=, batch options, passthrough/parallel/branch/lambda,
bind, with_config, with_retry, with_fallbacks, assign and pick, against real servers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from operator import itemgetter
from typing import Any

import pytest

from aiochain import (
    BadRequestError,
    ChatOpenAI,
    ConfigurationError,
    OpenAI,
    PromptTemplate,
    RunnableConfig,
    ServerError,
    StrOutputParser,
    UsageError,
)
from aiochain.runnables import (
    Runnable,
    RunnableBranch,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
    RunnableRetry,
    RunnableSequence,
)
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer, completion_json

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]

TEXT = "Runnables compose. They run concurrently. Configs flow down."


class Recorder(Runnable[Any, Any]):
    """A step that records the config it was called with and returns its input."""

    def __init__(self) -> None:
        self.configs: list[RunnableConfig | None] = []

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        self.configs.append(config)
        return input


class OldStyle(Runnable[Any, Any]):
    """A runnable written before configs existed: ainvoke takes the input only."""

    async def ainvoke(self, input: Any) -> Any:  # type: ignore[override]
        return input * 2


async def test_config_reaches_every_step_without_run_name() -> None:
    """A sequence hands its config to each step (its own run_name stays with it)."""
    recorder = Recorder()
    chain = RunnableLambda(lambda x: x + 1) | recorder | {"same": recorder}
    config: RunnableConfig = {"tags": ["t"], "metadata": {"k": 1}, "run_name": "top"}
    assert await chain.ainvoke(1, config=config) == {"same": 2}
    assert recorder.configs == [{"tags": ["t"], "metadata": {"k": 1}}] * 2


async def test_config_flows_through_a_function_into_nested_runnables() -> None:
    """A function inside RunnableLambda that calls another runnable passes the config on
    (through the context), and a function taking `config` receives it."""
    recorder = Recorder()

    async def inner(x: int) -> Any:
        return await (recorder | RunnableLambda(lambda y: y)).ainvoke(x)

    seen: list[Any] = []

    def wants_config(x: int, config: RunnableConfig) -> int:
        seen.append(config.get("configurable"))
        return x

    chain = RunnableLambda(inner) | RunnableLambda(wants_config)
    await chain.ainvoke(3, config={"configurable": {"user": "u1"}, "callbacks": []})
    assert recorder.configs == [{"configurable": {"user": "u1"}, "callbacks": []}]
    assert seen == [{"user": "u1"}]
    await chain.ainvoke(3)
    assert recorder.configs[-1] is None and seen[-1] == {}


async def test_config_is_checked() -> None:
    """A misspelt config key and a bad max_concurrency are refused by name; other unknown keys
    go into `configurable`, as LangChain moves them."""
    with pytest.raises(ConfigurationError, match="max_concurency"):
        await (RunnableLambda(str) | str).ainvoke(1, config={"max_concurency": 2})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        await RunnableLambda(str).abatch([1], config={"max_concurrency": 0})
    seen: list[Any] = []
    wants = RunnableLambda(lambda x, config: seen.append(config) or x)
    await (wants | str).ainvoke(1, config={"thread_id": "t1", "tags": ["a"]})  # type: ignore[typeddict-unknown-key]
    assert seen[0]["configurable"] == {"thread_id": "t1"} and seen[0]["tags"] == ["a"]


async def test_old_style_runnables_still_compose_with_a_config() -> None:
    """A custom runnable whose ainvoke takes no config works in a sequence given a config."""
    chain = OldStyle() | RunnableLambda(lambda x: x + 1)
    assert await chain.ainvoke(2, config={"tags": ["x"]}) == 5
    assert await chain.abatch([1, 2], config={"max_concurrency": 1}) == [3, 5]


async def test_abatch_max_concurrency_holds_against_the_server(start_sim: StartSim) -> None:
    """abatch(config={"max_concurrency": 2}) keeps two requests in flight at most."""
    server = await start_sim(latency=0.05)
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = PromptTemplate.from_template("{text}") | chat | StrOutputParser()
        out = await chain.abatch(
            [{"text": f"Doc {i}. More."} for i in range(6)], config={"max_concurrency": 2}
        )
    assert out == [f"Doc {i}." for i in range(6)]
    assert server.stats()["max_in_flight"] == 2


async def test_batch_takes_a_list_of_configs_and_return_exceptions() -> None:
    """A list of configs gives each input its own; return_exceptions puts failures in slots."""
    recorder = Recorder()

    def check(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x

    chain = recorder | RunnableLambda(check)
    out = await chain.abatch(
        [1, -1, 2],
        config=[{"tags": ["a"]}, {"tags": ["b"]}, {"tags": ["c"]}],
        return_exceptions=True,
    )
    assert out[0] == 1 and isinstance(out[1], ValueError) and out[2] == 2
    assert sorted(c["tags"][0] for c in recorder.configs if c) == ["a", "b", "c"]
    with pytest.raises(ConfigurationError, match="2 config"):
        await chain.abatch([1, 2, 3], config=[{}, {}])
    with pytest.raises(ValueError, match="negative"):
        await chain.abatch([1, -1])


def test_sync_batch_and_invoke_take_config() -> None:
    """batch / invoke / stream accept config from sync code."""
    chain = RunnableLambda(lambda x: x * 10)
    assert chain.batch([1, 2], config={"max_concurrency": 1}) == [10, 20]
    assert chain.invoke(3, config={"tags": ["s"]}) == 30
    assert list(chain.stream(4, config={"tags": ["s"]})) == [40]
    assert sorted(chain.batch_as_completed([1, 2])) == [(0, 10), (1, 20)]


async def test_as_completed_and_amap_use_config_max_concurrency(start_sim: StartSim) -> None:
    """amap / as_completed / abatch_as_completed take config= and its max_concurrency."""
    server = await start_sim(latency=0.05)
    async with OpenAI(base_url=server.base_url) as llm:
        inputs = [f"Item {i}. Rest." for i in range(4)]
        mapped = await llm.amap(inputs, config={"max_concurrency": 1})
        assert server.stats()["max_in_flight"] == 1
        done = [pair async for pair in llm.as_completed(inputs, config={"tags": ["x"]})]
        pairs = [pair async for pair in llm.abatch_as_completed(inputs)]
    assert mapped == [f"Item {i}." for i in range(4)]
    assert sorted(done) == sorted(pairs) == list(enumerate(mapped))


async def test_passthrough_assign_and_parallel_forms(start_sim: StartSim) -> None:
    """RunnableParallel (dict and kwargs forms) and RunnablePassthrough.assign run model
    branches concurrently and merge their outputs."""
    server = await start_sim(latency=0.05)
    async with ChatOpenAI(base_url=server.base_url) as chat:
        summarize = PromptTemplate.from_template("{text}") | chat | StrOutputParser()
        shout = PromptTemplate.from_template("Shout: {text}") | chat | StrOutputParser()
        by_dict = RunnableParallel({"a": summarize, "b": shout, "text": itemgetter("text")})
        by_kwargs = RunnableParallel(a=summarize, b=shout, text=itemgetter("text"))
        first = await by_dict.ainvoke({"text": TEXT})
        assert server.stats()["max_in_flight"] == 2
        second = await by_kwargs.ainvoke({"text": TEXT})
        assigned = await RunnablePassthrough.assign(a=summarize).ainvoke({"text": TEXT, "n": 1})
        assign_after = (
            await (RunnablePassthrough() | {"text": itemgetter("text")})
            .assign(upper=lambda d: d["text"].upper())
            .ainvoke({"text": "x"})
        )
    assert (
        first
        == second
        == {"a": "Runnables compose.", "b": "Shout: Runnables compose.", "text": TEXT}
    )
    assert assigned == {"text": TEXT, "n": 1, "a": "Runnables compose."}
    assert assign_after == {"text": "x", "upper": "X"}


async def test_parallel_branches_respect_max_concurrency(start_sim: StartSim) -> None:
    """A config's max_concurrency also caps the branches of a parallel step."""
    server = await start_sim(latency=0.05)
    async with OpenAI(base_url=server.base_url) as llm:
        fan = RunnableParallel({str(i): llm for i in range(4)})
        out = await fan.ainvoke("One. Two.", config={"max_concurrency": 1})
    assert out == {str(i): "One." for i in range(4)}
    assert server.stats()["max_in_flight"] == 1


async def test_pick_branch_itemgetter_and_pipe() -> None:
    """pick() selects keys, RunnableBranch takes the first true condition, itemgetter and
    plain functions are steps, pipe() composes like |."""
    source = RunnableLambda(lambda x: {"a": x, "b": x * 2, "c": 0})
    assert await source.pick("b").ainvoke(2) == 4
    assert await source.pick(["a", "c", "zz"]).ainvoke(2) == {"a": 2, "c": 0}
    branch = RunnableBranch(
        (lambda x: x["kind"] == "math", itemgetter("n") | RunnableLambda(lambda n: n + 1)),
        (RunnableLambda(lambda x: x["kind"] == "shout"), lambda x: str(x["n"]).upper() + "!"),
        lambda x: "default",
    )
    assert await branch.abatch(
        [{"kind": "math", "n": 1}, {"kind": "shout", "n": 2}, {"kind": "other", "n": 3}]
    ) == [2, "2!", "default"]
    assert await RunnableLambda(lambda x: x + 1).pipe(lambda x: x * 3, str).ainvoke(1) == "6"
    with pytest.raises(UsageError, match="default"):
        RunnableBranch(lambda x: "only a default")
    with pytest.raises(UsageError, match="dict input"):
        await RunnablePassthrough.assign(x=lambda d: 1).ainvoke("not a dict")


async def test_lambda_returning_a_runnable_runs_it() -> None:
    """A function that returns a runnable has it run on the same input (LangChain's routing)."""
    route = RunnableLambda(
        lambda x: RunnableLambda(lambda y: y * 100) if x > 0 else RunnableLambda(str)
    )
    assert await route.abatch([2, -1]) == [200, "-1"]


async def test_bind_stop_changes_the_request_body(scripted: Scripted) -> None:
    """llm.bind(stop=[...]) and ainvoke(x, stop=[...]) send `stop`; the original model's
    requests stay unchanged."""
    server = await scripted([Reply(json=completion_json("fine", chat=True))])
    async with ChatOpenAI(base_url=server.base_url) as chat:
        bound = chat.bind(stop=["\n"], temperature=0.1)
        await (PromptTemplate.from_template("{q}") | bound).ainvoke({"q": "a"})
        await chat.ainvoke("b", stop="END")
        await chat.ainvoke("c")
        await chat.with_config(tags=["t"]).bind(stop=["X"]).ainvoke("d")
    sent = server.requests
    assert sent[0]["stop"] == ["\n"] and sent[0]["temperature"] == 0.1
    assert sent[0]["messages"] == [{"role": "user", "content": "a"}]
    assert sent[1]["stop"] == ["END"]
    assert "stop" not in sent[2] and "temperature" not in sent[2]
    assert sent[3]["stop"] == ["X"]


async def test_bind_stop_cuts_the_simulated_answer(start_sim: StartSim) -> None:
    """The sim honours a bound stop sequence, plain and streamed, for both model kinds."""
    server = await start_sim()
    async with (
        OpenAI(base_url=server.base_url) as llm,
        ChatOpenAI(base_url=server.base_url) as chat,
    ):
        assert await llm.bind(stop=["compose"]).ainvoke(TEXT) == "Runnables"
        pieces = [p.content async for p in chat.astream(TEXT, stop=["compose"])]
        assert "".join(pieces) == "Runnables"
        assert (await chat.ainvoke(TEXT)).content == "Runnables compose."


async def test_with_retry_retries_listed_errors(scripted: Scripted) -> None:
    """with_retry re-runs a failed call (here a 500 the client itself does not retry) and stops
    at stop_after_attempt, raising the real last error."""
    server = await scripted(
        [
            Reply(status=500, json={"error": {"message": "boom"}}),
            Reply(json=completion_json("second", chat=True)),
        ]
    )
    async with ChatOpenAI(base_url=server.base_url, max_retries=0) as chat:
        retried = chat.with_retry(
            stop_after_attempt=2,
            wait_exponential_jitter=False,
            retry_if_exception_type=(ServerError,),
        )
        assert (await retried.ainvoke("hi")).content == "second"
    assert len(server.requests) == 2

    failing = await scripted([Reply(status=400, json={"error": {"message": "bad"}})])
    async with ChatOpenAI(base_url=failing.base_url, max_retries=0) as chat:
        with pytest.raises(BadRequestError):
            await chat.with_retry(
                retry_if_exception_type=(ServerError,), wait_exponential_jitter=False
            ).ainvoke("hi")
        with pytest.raises(BadRequestError):
            await chat.with_retry(stop_after_attempt=3, wait_exponential_jitter=False).ainvoke("x")
    assert len(failing.requests) == 1 + 3


async def test_with_retry_waits_grow_and_honour_retry_after() -> None:
    """The waits follow initial * 2**n + jitter, capped; a longer retry_after wins."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    attempts = 0

    class Busy(Exception):
        retry_after = 5.0

    def flaky(x: int) -> int:
        nonlocal attempts
        attempts += 1
        if attempts < 4:
            raise ValueError("try again") if attempts < 3 else Busy()
        return x

    retry = RunnableRetry(
        RunnableLambda(flaky),
        stop_after_attempt=4,
        sleep=record,
        rand=lambda: 0.5,
        exponential_jitter_params={"initial": 1, "max": 10, "jitter": 1},
    )
    assert await retry.ainvoke(7) == 7
    assert waits == [1.5, 2.5, 5.0]


async def test_with_retry_does_not_retry_programmer_mistakes() -> None:
    """A UsageError (a missing prompt variable) fails at once unless UsageError is listed."""
    calls = 0

    def count(x: Any) -> Any:
        nonlocal calls
        calls += 1
        return x

    chain = RunnableLambda(count) | PromptTemplate.from_template("{a} {b}")
    with pytest.raises(UsageError):
        await chain.with_retry(wait_exponential_jitter=False).ainvoke({"a": 1})
    assert calls == 1
    with pytest.raises(UsageError):
        await chain.with_retry(
            retry_if_exception_type=(UsageError,), wait_exponential_jitter=False
        ).ainvoke({"a": 1})
    assert calls == 1 + 3


async def test_with_fallbacks_moves_on_only_for_handled_errors(
    scripted: Scripted, start_sim: StartSim
) -> None:
    """A failing model falls back to the next; errors not listed are raised at once; with
    exception_key the fallback sees the error."""
    broken = await scripted([Reply(status=400, json={"error": {"message": "nope"}})])
    server = await start_sim()
    async with (
        ChatOpenAI(base_url=broken.base_url, max_retries=0) as bad,
        ChatOpenAI(base_url=server.base_url) as good,
    ):
        chain = bad.with_fallbacks([good]) | StrOutputParser()
        assert await chain.ainvoke(TEXT) == "Runnables compose."
        streamed = [p async for p in chain.astream(TEXT)]
        assert "".join(streamed) == "Runnables compose." and len(streamed) > 1
        with pytest.raises(BadRequestError):
            await bad.with_fallbacks([good], exceptions_to_handle=(ServerError,)).ainvoke(TEXT)
    handler = RunnableLambda(lambda d: f"handled {type(d['error']).__name__}")
    failing = RunnableLambda(lambda d: 1 / 0)
    assert await failing.with_fallbacks([handler], exception_key="error").ainvoke({}) == (
        "handled ZeroDivisionError"
    )
    with pytest.raises(ZeroDivisionError):
        await failing.with_fallbacks([failing]).ainvoke({})


async def test_sequence_constructor_forms_and_stream_of_a_composite(start_sim: StartSim) -> None:
    """RunnableSequence(first=, last=) and positional forms; a dict step inside a streamed
    chain still yields the model's pieces after it."""
    server = await start_sim()
    async with ChatOpenAI(base_url=server.base_url) as chat:
        chain = RunnableSequence(
            {"text": RunnablePassthrough()},
            PromptTemplate.from_template("{text}"),
            chat,
            StrOutputParser(),
        )
        pieces = [p async for p in chain.astream(TEXT, config={"tags": ["s"]})]
    assert "".join(pieces) == "Runnables compose." and len(pieces) > 1
    assert isinstance(pieces[0], str)
    pair = RunnableSequence(first=RunnableLambda(str), last=RunnableLambda(len))
    assert await pair.ainvoke(123) == 3


async def test_no_config_costs_no_context_work() -> None:
    """Without a config nothing is set in the context: the hot path stays as it was."""
    from aiochain._config import current_config

    seen: list[Any] = []
    chain = RunnableLambda(lambda x: seen.append(current_config.get()) or x) | str
    await chain.ainvoke(1)
    await chain.ainvoke(1, config={"tags": ["a"]})
    assert seen == [None, {"tags": ["a"]}]
    await asyncio.sleep(0)


async def test_a_batch_inside_a_step_inherits_max_concurrency(start_sim: StartSim) -> None:
    """abatch called inside a RunnableLambda, without a config, takes the caller's cap."""
    server = await start_sim(latency=0.05)
    async with OpenAI(base_url=server.base_url) as llm:

        async def fan_out(text: str) -> list[str]:
            return await llm.abatch([text] * 4)

        out = await RunnableLambda(fan_out).ainvoke("Nested. Calls.", config={"max_concurrency": 1})
    assert out == ["Nested."] * 4
    assert server.stats()["max_in_flight"] == 1


async def test_old_style_streaming_step_gets_no_config() -> None:
    """A custom runnable with `astream(self, input)` streams inside a configured sequence."""

    class Counter(Runnable[Any, Any]):
        async def ainvoke(self, input: Any) -> Any:  # type: ignore[override]
            return input

        async def astream(self, input: Any) -> Any:  # type: ignore[override]
            for i in range(input):
                yield str(i)

    chain = RunnableLambda(lambda x: x + 1) | Counter() | StrOutputParser()
    assert [p async for p in chain.astream(2, config={"tags": ["t"]})] == ["0", "1", "2"]


async def test_lambda_over_a_generator_function_streams_and_joins() -> None:
    """RunnableLambda(generator function) streams each piece and invokes as the pieces joined;
    an async generator's pieces stream through a sequence (LangChain's cheatsheet)."""

    def digits(x: range) -> Any:
        for y in x:
            yield str(y)

    async def repeat(x: Any) -> Any:
        for _ in range(3):
            yield x

    runnable = RunnableLambda(digits)
    assert [c async for c in runnable.astream(range(4))] == ["0", "1", "2", "3"]
    assert await runnable.ainvoke(range(4)) == "0123"
    chain = RunnableLambda(lambda x: {"foo": x}) | RunnableLambda(repeat)
    assert [c async for c in chain.astream("bar")] == [{"foo": "bar"}] * 3
    assert await chain.ainvoke("bar") == {"foo": "bar"}


async def test_bound_keywords_reach_a_lambdas_function() -> None:
    """`RunnableLambda(f).bind(other_arg=...)` calls f(input, other_arg=...), as LangChain."""

    def func(main_arg: dict[str, str], other_arg: str | None = None) -> dict[str, str]:
        return {**main_arg, "foo": other_arg} if other_arg else main_arg

    bound = RunnableLambda(func).bind(other_arg="bye")
    assert await bound.ainvoke({"bar": "hello"}) == {"bar": "hello", "foo": "bye"}
    assert await RunnableLambda(func).ainvoke({"bar": "hello"}) == {"bar": "hello"}
