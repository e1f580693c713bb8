"""The simulation server's Gemini API, checked with Google's own `google-genai` client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from aiochain.sim import SimServer

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

Start = Callable[..., Awaitable[SimServer]]


Models = Callable[..., Any]


@pytest.fixture
async def models() -> AsyncIterator[Models]:
    """Makes Google's async `models` API pointed at a simulation server, with its own
    retries off; every client is closed after the test."""
    made: list[Any] = []

    def make(server: SimServer, key: str = "test-key") -> Any:
        options = types.HttpOptions(
            base_url=server.root_url, retry_options=types.HttpRetryOptions(attempts=1)
        )
        client = genai.Client(api_key=key, http_options=options)
        made.append(client)
        return client.aio.models

    yield make
    for client in made:
        await client.aio.aclose()


async def test_generate_content_answers_with_usage(sim: SimServer, models: Models) -> None:
    """generate_content gets text, a STOP finish, and usageMetadata whose total adds up."""
    answer = await models(sim).generate_content(
        model="gemini-2.0-flash",
        contents="The sky is blue. Grass is green. Snow is white.",
        config=types.GenerateContentConfig(system_instruction="Answer briefly.", temperature=0.2),
    )
    assert answer.text == "The sky is blue."
    assert answer.candidates[0].finish_reason == types.FinishReason.STOP
    usage = answer.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.thoughts_token_count is None  # 2.0 models do not think
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count


async def test_thinking_spends_output_tokens_and_thoughts_are_parts(
    sim: SimServer, models: Models
) -> None:
    """A 2.5 model reports thoughtsTokenCount within the budget; includeThoughts adds a
    thought part that `.text` leaves out."""
    answer = await models(sim).generate_content(
        model="gemini-2.5-flash",
        contents="Cats purr. Dogs bark.",
        config=types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(thinking_budget=9, include_thoughts=True)
        ),
    )
    usage = answer.usage_metadata
    assert usage.thoughts_token_count == 9
    parts = answer.candidates[0].content.parts
    assert parts[0].thought is True and answer.text == "Cats purr."
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )


async def test_generate_content_stream_sends_text_in_pieces(sim: SimServer, models: Models) -> None:
    """generate_content_stream (alt=sse) yields several chunks whose text joins to the answer,
    the last with the finish reason and the final usage."""
    chunks = [
        chunk
        async for chunk in await models(sim).generate_content_stream(
            model="gemini-2.0-flash", contents="One two three four. Five six."
        )
    ]
    assert len(chunks) > 2
    assert "".join(c.text or "" for c in chunks) == "One two three four."
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count == len(chunks)


async def test_function_call_and_response_round_trip(sim: SimServer, models: Models) -> None:
    """A declared function named in the prompt is called (functionCall with args); sending
    its functionResponse back gets a text answer built from it."""
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="get_weather",
                description="The weather in a city",
                parameters=types.Schema(
                    type="OBJECT",
                    properties={"city": types.Schema(type="STRING")},
                    required=["city"],
                ),
            )
        ]
    )
    config = types.GenerateContentConfig(tools=[tool])
    api = models(sim)
    asked = types.Content(role="user", parts=[types.Part(text="get_weather city=Paris")])
    first = await api.generate_content(model="gemini-2.5-flash", contents=[asked], config=config)
    call = first.function_calls[0]
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    result = types.Part.from_function_response(name="get_weather", response={"result": "sunny"})
    second = await api.generate_content(
        model="gemini-2.5-flash",
        contents=[asked, first.candidates[0].content, types.Content(role="user", parts=[result])],
        config=config,
    )
    assert second.text == "Based on the tools: get_weather: sunny."


async def test_structured_output_follows_the_response_schema(
    sim: SimServer, models: Models
) -> None:
    """responseMimeType application/json with a responseSchema answers JSON of that shape."""
    answer = await models(sim).generate_content(
        model="gemini-2.5-flash",
        contents="Describe a city. name=Oslo population=700000",
        config=types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema={
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}, "population": {"type": "INTEGER"}},
            },
        ),
    )
    assert answer.parsed == {"name": "Oslo", "population": 700000}


async def test_count_tokens(sim: SimServer, models: Models) -> None:
    """countTokens counts the prompt as generateContent's usage does."""
    api = models(sim)
    counted = await api.count_tokens(model="gemini-2.0-flash", contents="a b c")
    answer = await api.generate_content(model="gemini-2.0-flash", contents="a b c")
    assert counted.total_tokens == answer.usage_metadata.prompt_token_count > 0


async def test_per_minute_quota_429_carries_retry_delay(start_sim: Start, models: Models) -> None:
    """Past rpm, a 429 RESOURCE_EXHAUSTED names a per-minute quota in QuotaFailure and says
    when to retry in RetryInfo; no retry-after header."""
    server = await start_sim(rpm=60)
    api = models(server)
    await api.generate_content(model="gemini-2.0-flash", contents="hi")
    with pytest.raises(errors.ClientError) as caught:
        await api.generate_content(model="gemini-2.0-flash", contents="hi")
    error = caught.value
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    details = {d["@type"].rsplit(".", 1)[1]: d for d in error.details["error"]["details"]}
    violation = details["QuotaFailure"]["violations"][0]
    assert "PerMinute" in violation["quotaId"]
    assert violation["quotaDimensions"]["model"] == "gemini-2.0-flash"
    delay = details["RetryInfo"]["retryDelay"]
    assert delay.endswith("s") and 0 < float(delay[:-1]) <= 1.0


async def test_per_day_quota_429_names_a_per_day_quota(start_sim: Start, models: Models) -> None:
    """Past gemini_rpd, the 429 names a per-day quota id and a retry delay of hours."""
    server = await start_sim(gemini_rpd=2)
    api = models(server)
    for _ in range(2):
        await api.generate_content(model="gemini-2.0-flash", contents="hi")
    with pytest.raises(errors.ClientError) as caught:
        await api.generate_content(model="gemini-2.0-flash", contents="hi")
    details = {d["@type"].rsplit(".", 1)[1]: d for d in caught.value.details["error"]["details"]}
    assert "PerDay" in details["QuotaFailure"]["violations"][0]["quotaId"]
    assert float(details["RetryInfo"]["retryDelay"][:-1]) > 3600
    other = await api.generate_content(model="gemini-2.5-flash", contents="hi")
    assert other.text  # the quota is per model


async def test_errors_are_googles(start_sim: Start, models: Models) -> None:
    """A wrong key is 400 API_KEY_INVALID, an unknown model 404 NOT_FOUND, a bad schema key
    400 INVALID_ARGUMENT, in Google's error body."""
    server = await start_sim(api_key="right-key")
    with pytest.raises(errors.ClientError) as caught:
        await models(server, "wrong-key").generate_content(model="gemini-2.0-flash", contents="hi")
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    api = models(server, "right-key")
    with pytest.raises(errors.ClientError) as caught:
        await api.generate_content(model="gemini-9", contents="hi")
    assert caught.value.status == "NOT_FOUND"
    async with aiohttp.ClientSession() as session:
        url = f"{server.root_url}/v1beta/models/gemini-2.0-flash:generateContent?key=right-key"
        body = {
            "contents": [{"parts": [{"text": "hi"}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "additionalProperties": False},
            },
        }
        async with session.post(url, json=body) as response:
            assert response.status == 400
            error = (await response.json())["error"]
        async with session.post(url.split("?")[0], json=body) as response:
            assert response.status == 403  # no key at all
    assert error["status"] == "INVALID_ARGUMENT" and "additionalProperties" in error["message"]


async def test_thinking_can_use_up_max_output_tokens(sim: SimServer, models: Models) -> None:
    """As on Gemini 2.5, thoughts count against maxOutputTokens: too small a limit leaves
    MAX_TOKENS and no parts at all."""
    answer = await models(sim).generate_content(
        model="gemini-2.5-flash",
        contents="Explain the sky. " * 20,
        config=types.GenerateContentConfig(max_output_tokens=5),
    )
    candidate = answer.candidates[0]
    assert candidate.finish_reason == types.FinishReason.MAX_TOKENS
    assert not (candidate.content and candidate.content.parts)
    assert answer.usage_metadata.thoughts_token_count == 5
