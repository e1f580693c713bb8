"""OpenAIEmbeddings / AzureOpenAIEmbeddings against the simulator and scripted servers, and the
simulator's `/v1/embeddings`."""

from __future__ import annotations

import base64
import math
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import RateLimiter
from aiochain._exceptions import BadRequestError, BadResponseError, ConfigurationError
from aiochain.callbacks import get_openai_callback
from aiochain.embeddings import AzureOpenAIEmbeddings, OpenAIEmbeddings
from aiochain.pricing import cost_of
from aiochain.sim import SimServer

from .conftest import Reply, ScriptedServer

StartSim = Callable[..., Awaitable[SimServer]]
Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]
SMALL = "text-embedding-3-small"


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def embedding_answer(count: int, dims: int = 3, *, b64: bool = True) -> dict[str, Any]:
    data = []
    for i in range(count):
        values = [float(i + 1)] + [0.5] * (dims - 1)
        raw = array("f", values).tobytes()
        vector: Any = base64.b64encode(raw).decode() if b64 else values
        data.append({"object": "embedding", "index": i, "embedding": vector})
    return {"object": "list", "data": data, "model": SMALL, "usage": {"prompt_tokens": count}}


async def test_similar_texts_are_near_and_vectors_are_unit_length(sim: SimServer) -> None:
    """The simulator's vectors are deterministic, unit length, and put texts sharing words near."""
    async with OpenAIEmbeddings(model=SMALL, base_url=sim.base_url) as emb:
        cat, cat2, finance = await emb.aembed_documents(
            ["The cat sat on the mat", "A cat sat on a mat", "Quarterly revenue grew 4 percent"]
        )
        again = await emb.aembed_query("The cat sat on the mat")
    assert len(cat) == 1536
    assert again == cat
    assert abs(sum(x * x for x in cat) - 1.0) < 1e-5
    assert cosine(cat, cat2) > 0.4 and abs(cosine(cat, finance)) < 0.1


async def test_float_and_base64_answers_are_the_same_float32(sim: SimServer) -> None:
    """`encoding_format` float and base64 carry the same float32 values; both decode alike."""
    async with (
        OpenAIEmbeddings(
            model=SMALL,
            base_url=sim.base_url,
            dimensions=32,
            model_kwargs={"encoding_format": "float"},
        ) as floats,
        OpenAIEmbeddings(model=SMALL, base_url=sim.base_url, dimensions=32) as b64,
    ):
        assert await floats.aembed_documents(["one two"]) == await b64.aembed_documents(["one two"])


async def test_requests_are_packed_and_sent_concurrently(scripted: Scripted) -> None:
    """Texts are packed up to chunk_size inputs per request, as text, never token ids."""
    server = await scripted([Reply(json=embedding_answer(2))])
    async with OpenAIEmbeddings(model=SMALL, base_url=server.base_url, chunk_size=2) as emb:
        vectors = await emb.aembed_documents(["a b", "c", "d e f", "g"])
    assert [r["input"] for r in server.requests] == [["a b", "c"], ["d e f", "g"]]
    assert all(r["encoding_format"] == "base64" and r["model"] == SMALL for r in server.requests)
    assert server.paths == ["/v1/embeddings", "/v1/embeddings"]
    assert vectors[0][:2] == [1.0, 0.5] and vectors[3][0] == 2.0
    assert emb.usage.prompt_tokens == 4 and emb.usage.requests == 2


async def test_the_token_limit_splits_requests(scripted: Scripted) -> None:
    """A request never carries more estimated tokens than max_tokens_per_request."""
    server = await scripted([Reply(json=embedding_answer(1))])
    async with OpenAIEmbeddings(
        model=SMALL, base_url=server.base_url, max_tokens_per_request=50
    ) as emb:
        await emb.aembed_documents(["x" * 120, "y" * 120, "z" * 120])
    assert [len(r["input"]) for r in server.requests] == [1, 1, 1]


async def test_long_texts_are_cut_as_text_and_averaged(scripted: Scripted) -> None:
    """A text over the context goes as text pieces (never token ids), its vector their
    normalised average; check_embedding_ctx_length=False sends it whole."""
    server = await scripted([Reply(json=embedding_answer(2))])
    async with OpenAIEmbeddings(
        model=SMALL, base_url=server.base_url, embedding_ctx_length=10, tiktoken_enabled=False
    ) as emb:
        (vector,) = await emb.aembed_documents(["word " * 12])
    (request,) = server.requests
    assert len(request["input"]) == 2
    assert all(isinstance(piece, str) for piece in request["input"])
    assert "".join(request["input"]) == "word " * 12
    assert abs(sum(x * x for x in vector) - 1.0) < 1e-5
    server = await scripted([Reply(json=embedding_answer(1))])
    async with OpenAIEmbeddings(
        model=SMALL,
        base_url=server.base_url,
        embedding_ctx_length=10,
        check_embedding_ctx_length=False,
    ) as emb:
        await emb.aembed_documents(["word " * 12])
    assert server.requests[0]["input"] == ["word " * 12]


async def test_servers_that_send_numbers_are_read(scripted: Scripted) -> None:
    """An answer of JSON numbers (a server ignoring encoding_format) decodes the same."""
    server = await scripted([Reply(json=embedding_answer(1, b64=False))])
    async with OpenAIEmbeddings(model=SMALL, base_url=server.base_url) as emb:
        assert await emb.aembed_query("hi") == [1.0, 0.5, 0.5]


@pytest.mark.parametrize(
    "answer",
    [
        {"data": []},
        {"data": [{"index": 0, "embedding": "not base64!"}]},
        {"data": [{"index": 5, "embedding": [1.0]}]},
        {"data": [{"index": 0, "embedding": ["a", "b"]}]},
        {"data": [{"index": 0, "embedding": base64.b64encode(b"abc").decode()}]},
    ],
)
async def test_malformed_answers_are_bad_responses(
    scripted: Scripted, answer: dict[str, Any]
) -> None:
    """Wrong counts, bad base64, bad indexes or non-numbers raise BadResponseError."""
    server = await scripted([Reply(json=answer)])
    async with OpenAIEmbeddings(model=SMALL, base_url=server.base_url, max_retries=0) as emb:
        with pytest.raises(BadResponseError):
            await emb.aembed_query("hi")


async def test_errors_are_retried_through_the_pipeline(scripted: Scripted) -> None:
    """A 500 then a 429 are retried like chat calls; the answer arrives."""
    server = await scripted(
        [
            Reply(status=500, json={"error": {"message": "boom"}}),
            Reply(status=429, json={"error": {"message": "slow"}}, headers={"retry-after": "0"}),
            Reply(json=embedding_answer(1)),
        ]
    )
    async with OpenAIEmbeddings(model=SMALL, base_url=server.base_url, max_retries=3) as emb:
        assert (await emb.aembed_query("x"))[0] == 1.0
    assert len(server.requests) == 3


async def test_rate_limits_hold_and_are_learned(start_sim: StartSim) -> None:
    """Under the simulator's tpm, a shared limiter learns it from headers; no request fails."""
    sim = await start_sim(tpm=200_000, rpm=6000)
    limiter = RateLimiter(max_concurrency=2)
    async with OpenAIEmbeddings(
        model=SMALL, base_url=sim.base_url, dimensions=8, chunk_size=50, rate_limiter=limiter
    ) as emb:
        vectors = await emb.aembed_documents([f"text {i} of the test" for i in range(500)])
    assert len(vectors) == 500
    assert limiter.learned.get("tokens") == 200_000
    assert sim.stats()["rate_limited"] == 0
    stats = sim.stats()
    assert stats["requests"]["embeddings"]["200"] == 10
    assert stats["tokens_in"] == 500 * 5


async def test_usage_and_cost_reach_get_openai_callback(sim: SimServer) -> None:
    """get_openai_callback counts an embedding call's tokens, request count and cost."""
    async with OpenAIEmbeddings(model=SMALL, base_url=sim.base_url, dimensions=8) as emb:
        with get_openai_callback() as cb:
            await emb.aembed_documents(["one two three", "four five"])
            await emb.aembed_query("six")
    assert cb.prompt_tokens == 6 and cb.total_tokens == 6
    assert cb.successful_requests == 2
    assert cb.total_cost == pytest.approx(cost_of(SMALL, 6, 0))
    assert emb.cost == pytest.approx(cost_of(SMALL, 6, 0))


def test_sync_methods() -> None:
    """embed_documents / embed_query work from sync code, one loop per call (the tutorial's)."""
    with SimServer().serve_in_thread() as base_url:
        emb = OpenAIEmbeddings(model=SMALL, base_url=base_url, dimensions=16)
        documents = emb.embed_documents(["hello world", "goodbye"])
        assert emb.embed_query("hello world") == documents[0]
        assert len(documents) == 2 and len(documents[1]) == 16


async def test_azure_deployment_path(start_sim: StartSim) -> None:
    """AzureOpenAIEmbeddings posts to the deployment's path with api-version and api-key."""
    sim = await start_sim(api_key="secret")
    async with (
        AzureOpenAIEmbeddings(
            azure_endpoint=sim.root_url,
            azure_deployment=SMALL,
            api_version="2024-10-21",
            api_key="secret",
            dimensions=16,
        ) as azure,
        OpenAIEmbeddings(
            model=SMALL, base_url=sim.base_url, api_key="secret", dimensions=16
        ) as plain,
    ):
        assert await azure.aembed_query("hello") == await plain.aembed_query("hello")
    assert sim.stats()["requests"]["azure.embeddings"]["200"] == 1


async def test_azure_unknown_deployment_is_not_found(sim: SimServer) -> None:
    """A deployment the resource lacks is Azure's 404 DeploymentNotFound."""
    async with AzureOpenAIEmbeddings(
        azure_endpoint=sim.root_url, azure_deployment="nope", api_version="v", api_key="k"
    ) as azure:
        with pytest.raises(Exception, match="deployment"):
            await azure.aembed_query("x")


async def test_simulator_refuses_what_openai_refuses(sim: SimServer) -> None:
    """Empty inputs, dimensions on ada-002, and inputs over the context are 400s."""
    async with OpenAIEmbeddings(model=SMALL, base_url=sim.base_url, max_retries=0) as emb:
        with pytest.raises(BadRequestError, match="empty"):
            await emb.aembed_query("")
        with pytest.raises(BadRequestError, match="maximum context length"):
            await OpenAIEmbeddings(
                model=SMALL, base_url=sim.base_url, check_embedding_ctx_length=False
            ).aembed_query("w " * 9000)
    async with OpenAIEmbeddings(
        model="text-embedding-ada-002", base_url=sim.base_url, dimensions=8
    ) as ada:
        with pytest.raises(BadRequestError, match="dimensions"):
            await ada.aembed_query("x")


async def test_official_client_reads_the_simulator(sim: SimServer) -> None:
    """The official openai client reads the simulator's answers (its wire format is OpenAI's)."""
    import openai

    client = openai.AsyncOpenAI(base_url=sim.base_url, api_key="x")
    try:
        answer = await client.embeddings.create(model=SMALL, input=["a b", "c"], dimensions=8)
        floats = await client.embeddings.create(
            model=SMALL, input="a b", dimensions=8, encoding_format="float"
        )
    finally:
        await client.close()
    assert [d.index for d in answer.data] == [0, 1]
    assert answer.data[0].embedding == pytest.approx(floats.data[0].embedding)
    assert answer.usage.prompt_tokens == 3


def test_options_are_checked() -> None:
    """Bad chunk_size / dimensions are ConfigurationErrors; a list is required."""
    with pytest.raises(ConfigurationError, match="chunk_size"):
        OpenAIEmbeddings(base_url="http://127.0.0.1:1/v1", chunk_size=5000)
    with pytest.raises(ConfigurationError, match="dimensions"):
        OpenAIEmbeddings(base_url="http://127.0.0.1:1/v1", dimensions=0)
    emb = OpenAIEmbeddings(base_url="http://127.0.0.1:1/v1", api_key="sk-secret")
    assert "sk-secret" not in repr(emb)
    with pytest.raises(ConfigurationError, match="list of texts"):
        emb.embed_documents("one string")  # type: ignore[arg-type]


async def test_simulator_batches_answer_embedding_lines(start_sim: StartSim) -> None:
    """A Batch API job on /v1/embeddings answers each line as the endpoint would (a bad line
    gets its 400 in the output), with the same vectors."""
    import json

    import openai

    now = [1000.0]
    sim = await start_sim(clock=lambda: now[0])
    bodies = [
        {"model": SMALL, "input": ["cats purr", "dogs bark"], "dimensions": 8},
        {"model": SMALL, "input": "", "dimensions": 8},
    ]
    lines = [
        json.dumps({"custom_id": f"e{i}", "method": "POST", "url": "/v1/embeddings", "body": b})
        for i, b in enumerate(bodies)
    ]
    async with openai.AsyncOpenAI(base_url=sim.base_url, api_key="k", max_retries=0) as client:
        upload = await client.files.create(
            file=("e.jsonl", "\n".join(lines).encode()), purpose="batch"
        )
        batch = await client.batches.create(
            input_file_id=upload.id, endpoint="/v1/embeddings", completion_window="24h"
        )
        now[0] += 3600  # long past the batch's simulated timeline
        batch = await client.batches.retrieve(batch.id)
        assert batch.status == "completed" and batch.output_file_id is not None
        assert batch.error_file_id is not None
        content = await client.files.content(batch.output_file_id)
        errors = await client.files.content(batch.error_file_id)
    rows = {r["custom_id"]: r for r in map(json.loads, content.text.splitlines())}
    (failed,) = map(json.loads, errors.text.splitlines())
    assert failed["custom_id"] == "e1" and failed["response"]["status_code"] == 400
    answer = rows["e0"]["response"]["body"]
    assert answer["usage"]["prompt_tokens"] == 4
    async with OpenAIEmbeddings(model=SMALL, base_url=sim.base_url, dimensions=8) as emb:
        live = await emb.aembed_documents(["cats purr", "dogs bark"])
    assert [d["embedding"] for d in answer["data"]] == live  # float32 values either way
