"""Programs from LangChain's own documentation (tests/langchain_docs/) run on aiochain with only
their imports changed, against one shared simulator, and produce answers of the right shape.

Each program is a notebook in percent format (`# %%` starts a cell), run as IPython runs one:
cell by cell in one namespace, a cell with a top-level `await` on one event loop kept for the
program (so it runs inside that loop), the other cells as plain code with no loop running. The
model's endpoint comes from `OPENAI_BASE_URL` / `OPENAI_API_KEY`, as LangChain's clients read
it (and `ANTHROPIC_BASE_URL` / `ANTHROPIC_API_KEY` for ChatAnthropic), so the doc text stays
as it is. Where a cell shows an expression's value, the program may name it (`x = ...`) so the
test can read it; no call changes. Checks read the program's variables and printed output and
pin shapes and relations (types, keys, counts, token sums), never the simulator's words.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiochain.callbacks import OpenAICallbackHandler
from aiochain.chat_history import InMemoryChatMessageHistory
from aiochain.documents import Document
from aiochain.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from aiochain.outputs import ChatGeneration, Generation, LLMResult
from aiochain.prompts import ChatPromptValue
from aiochain.sim import SimServer

PROGRAMS = Path(__file__).parent / "langchain_docs"
_CELL = re.compile(r"(?m)^(?=# %%)")


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    """One simulator for every doc program (on its own thread, for the programs' sync calls)."""
    with SimServer().serve_in_thread() as base_url:
        yield base_url


@pytest.fixture
def run(sim_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs a program by name; returns its variables and what it printed."""
    monkeypatch.setenv("OPENAI_BASE_URL", sim_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-doc-programs")
    # The simulator speaks Anthropic's Messages API at its root, as api.anthropic.com does.
    monkeypatch.setenv("ANTHROPIC_BASE_URL", sim_url.removesuffix("/v1"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-doc-programs")

    def run_program(name: str) -> tuple[dict[str, Any], str]:
        (path,) = PROGRAMS.glob(f"{name}_*.py")
        namespace = run_cells(path)
        return namespace, capsys.readouterr().out

    return run_program


def run_cells(path: Path) -> dict[str, Any]:
    """Run the cells of the notebook at `path` as IPython does; return its namespace."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(path)}
    line = 0
    with asyncio.Runner() as loop:
        for cell in _CELL.split(path.read_text()):
            # Padding keeps a traceback's line numbers those of the file.
            # dont_inherit: this module's `from __future__ import annotations` is not the
            # program's (pydantic models in it would see their annotations as strings).
            code = compile(
                "\n" * line + cell,
                str(path),
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
            line += cell.count("\n")
            if code.co_flags & inspect.CO_COROUTINE:
                loop.run(eval(code, namespace))
            else:
                exec(code, namespace)
    return namespace


def answered(message: Any) -> None:
    """A chat model's answer: an AIMessage with text and LangChain's usage keys."""
    assert isinstance(message, AIMessage), message
    assert isinstance(message.content, str) and message.content
    usage = message.usage_metadata
    assert usage is not None
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def text(value: Any) -> None:
    assert isinstance(value, str) and value.strip(), value


def counted(cb: OpenAICallbackHandler, calls: int) -> None:
    """A get_openai_callback block that saw `calls` requests and their tokens."""
    assert cb.successful_requests == calls
    assert cb.total_tokens == cb.prompt_tokens + cb.completion_tokens
    assert cb.prompt_tokens > 0 and cb.completion_tokens > 0


# --- prompts -----------------------------------------------------------------------------------


def test_prompt_templates(run: Any) -> None:
    """PromptTemplate (from_template, +, partial, format) and ChatPromptTemplate (list form,
    from_messages, MessagesPlaceholder, ("placeholder", ...)) as the concepts page uses them."""
    ns, _ = run("01")
    assert isinstance(ns["prompt_value"], ChatPromptValue)
    assert ns["formatted"] == "Tell me a joke about sports, make it funny\n\nand in spanish"
    assert ns["partial_text"] == "foobaz"
    for value in (ns["placeholder_value"], ns["placeholder_value_2"]):
        messages = value.to_messages()
        assert [m.type for m in messages] == ["system", "human"]
        assert messages[1].content == "hi!"
    messages = ns["messages"]
    assert [m.type for m in messages] == ["system", "human", "ai", "human"]
    assert messages[0].content == "You are a helpful AI bot. Your name is Bob."
    assert ns["prompt_value"].to_messages() == messages


def test_few_shot_prompts(run: Any) -> None:
    """FewShotPromptTemplate joins each formatted example and the suffix;
    FewShotChatMessagePromptTemplate expands into human/ai pairs inside a chat prompt."""
    ns, out = run("03")
    few = ns["few_shot_text"]
    assert few.count("Question: ") == 3
    assert few.endswith("Question: Who was the father of Mary Ball Washington?")
    assert "So the final answer is: Muhammad Ali" in few and few in out
    shown = ns["few_shot_prompt"].invoke({}).to_messages()
    assert [m.type for m in shown] == ["human", "ai", "human", "ai"]
    answered(ns["answer"])


def test_classic_chat_quickstart(run: Any) -> None:
    """The classic chat quickstart calls the model like a function."""
    ns, _ = run("04")
    answered(ns["translated"])


# --- chat models ---------------------------------------------------------------------------


def test_chat_openai_invoke(run: Any) -> None:
    """ChatOpenAI's docstring (invoke with (role, text) pairs, usage, response metadata) and the
    LLM application tutorial (message objects, dicts, strings, stream, prompt values)."""
    ns, out = run("05")
    answered(ns["ai_msg"])
    assert ns["ai_msg"].content in out
    assert ns["usage"] == ns["ai_msg"].usage_metadata
    assert ns["metadata"]["finish_reason"] == "stop"
    assert ns["metadata"]["model_name"].startswith("gpt-4o")
    answered(ns["chained"])
    answered(ns["tutorial_answer"])
    assert type(ns["model"]).__name__ == "ChatOpenAI"  # init_chat_model's choice
    for message in ns["hello_answers"]:
        answered(message)
    assert [m.type for m in ns["tutorial_messages"]] == ["system", "human"]
    assert ns["tutorial_messages"][0].content.endswith("into Italian")
    assert ns["response"].content in out


def test_chat_openai_stream(run: Any) -> None:
    """stream yields chunks that add up to the whole answer; stream_usage adds the usage."""
    ns, out = run("06")
    full = ns["full"]
    assert isinstance(full, AIMessageChunk) and full.content
    assert full.content in out
    usage = ns["full_with_usage"].usage_metadata
    assert usage is not None and usage["output_tokens"] > 0
    assert all(isinstance(c, AIMessageChunk) for c in ns["chunks"])
    assert "|" in out


def test_chat_openai_async(run: Any) -> None:
    """ainvoke, astream, abatch and batch with max_concurrency give the same answers."""
    ns, _ = run("07")
    answered(ns["ainvoked"])
    assert "".join(c.content for c in ns["astreamed"]) == ns["ainvoked"].content
    assert [m.content for m in ns["abatched"]] == [ns["ainvoked"].content]
    assert len(ns["batched"]) == 2
    for message in ns["batched"]:
        answered(message)


def test_streaming(run: Any) -> None:
    """The streaming guide: a model's chunks add up, a chain streams through its parser, JSON
    streams as growing dicts, generator steps, astream_events (filtered by name, type and
    tag), and callbacks a tool hands on (`callbacks` parameter) reach the runs it starts."""
    ns, out = run("08")
    chunks = ns["chunks"]
    assert all(isinstance(c, AIMessageChunk) for c in chunks) and len(chunks) >= 3
    assert ns["added"].content == "".join(c.content for c in chunks[:3])
    assert "|" in out
    json_chunks = ns["json_chunks"]
    assert all(isinstance(c, dict) for c in json_chunks) and json_chunks[-1]
    assert all(isinstance(c, (list, str)) for c in ns["extracted"])
    assert all(isinstance(name, str) for name in ns["streamed_names"])
    first = [(e["event"], e["name"]) for e in ns["events"][:3]]
    assert first == [
        ("on_chain_start", "RunnableSequence"),
        ("on_chat_model_start", "ChatOpenAI"),
        ("on_chat_model_stream", "ChatOpenAI"),
    ]
    assert len(ns["by_name"]) == 11 and {e["name"] for e in ns["by_name"]} == {"my_parser"}
    assert {e["event"] for e in ns["by_type"]} <= {
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_end",
    }
    assert ns["by_tags"] and all("my_chain" in e["tags"] for e in ns["by_tags"])
    assert {"on_chat_model_stream", "on_parser_stream"} <= set(ns["non_streaming_kinds"])
    bad = [(e["event"], e["name"]) for e in ns["bad_events"]]
    assert bad == [("on_tool_start", "bad_tool"), ("on_tool_end", "bad_tool")]
    correct = [(e["event"], e["name"]) for e in ns["correct_events"]]
    assert correct == [
        ("on_tool_start", "correct_tool"),
        ("on_chain_start", "reverse_word"),
        ("on_chain_end", "reverse_word"),
        ("on_tool_end", "correct_tool"),
    ]
    for name in ("lambda_events", "chain_events"):
        events = [(e["event"], e["name"]) for e in ns[name]]
        assert [kind for kind, _ in events] == ["on_chain_start", "on_chain_stream", "on_chain_end"]
        assert {n for _, n in events} == {"reverse_and_double"}
        assert ns[name][-1]["data"]["output"] == "43214321"


def test_token_usage_chat(run: Any) -> None:
    """usage_metadata, stream_usage aggregation, and get_openai_callback over invoke, stream,
    batch and abatch."""
    ns, _ = run("09")
    assert ns["aggregate"].usage_metadata["total_tokens"] > 0
    counted(ns["cb2"], 2)
    counted(ns["cb"], 2)  # the last block: abatch of two questions
    assert ns["streamed_total"] > 0
    assert ns["batch_requests"] == 2
    assert ns["batch_total"] == ns["abatch_total"] > 0


# --- completion models --------------------------------------------------------------------


def test_llm_openai(run: Any) -> None:
    """OpenAI (completions): invoke, stream, generate's LLMResult (30 prompts), batch, astream."""
    ns, _ = run("10")
    text(ns["text"])
    assert "".join(ns["streamed"]) == ns["text"]
    result = ns["llm_result"]
    assert isinstance(result, LLMResult) and len(result.generations) == 30
    assert all(isinstance(g[0], Generation) and g[0].text for g in result.generations)
    usage = result.llm_output["token_usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert len(ns["batched"]) == 2 and all(isinstance(t, str) for t in ns["batched"])
    text("".join(ns["astreamed"]))


def test_async_api_notebook_cells(run: Any) -> None:
    """The classic Async API cells: agenerate / arun gathered, then the same calls serially."""
    ns, _ = run("11")
    assert len(ns["outputs"]) == 20 and len(ns["results"]) == 10


def test_llm_token_usage(run: Any) -> None:
    """get_openai_callback counts an LLM's invoke, stream, and gathered agenerate calls."""
    ns, out = run("12")
    assert "Total Tokens: " in out and "Total Cost (USD): $" in out
    assert ns["stream_tokens"] > 0
    assert ns["gathered_tokens"] == 3 * ns["one_call_tokens"] > 0


def test_async_callbacks(run: Any) -> None:
    """A sync on_llm_new_token handler and an async start/end handler on a streaming model;
    AsyncIteratorCallbackHandler yields an agenerate's tokens."""
    ns, out = run("13")
    kinds = [kind for kind, _ in ns["events"]]
    assert kinds[0] == "start" and kinds[-1] == "end" and "token" in kinds
    tokens = "".join(value for kind, value in ns["events"] if kind == "token")
    assert tokens == ns["result"].generations[0][0].text
    assert "Hi! I just woke up. Your llm is ending" in out
    assert "".join(ns["iterated"]) == ns["iterated_result"].generations[0][0].text


def test_callbacks(run: Any) -> None:
    """on_llm_new_token of a handler on a streaming model hears every token; callbacks given at
    run time and attached with with_config hear chain and model events."""
    ns, out = run("14")
    assert "".join(ns["tokens"]) == ns["response"].content
    assert "My custom handler, token: " in out
    first = ns["seen"][: ns["attached_seen_before"]]
    second = ns["seen"][ns["attached_seen_before"] :]
    for events in (first, second):
        assert events[0] == "chain_start" and events[-1] == "chain_end"
        assert "chat_model_start" in events and "llm_end" in events
    assert "Chat model ended, response: " in out
    answered(ns["attached_result"])


def test_structured_output_json_mode(run: Any) -> None:
    """with_structured_output(None, method="json_mode") returns the answer's JSON object."""
    ns, _ = run("15")
    assert isinstance(ns["json_mode_joke"], dict)


# --- classic chains ---------------------------------------------------------------------------


def test_llmchain(run: Any) -> None:
    """LLMChain: __call__, apply, generate, predict, run, return_only_outputs, acall, ainvoke,
    aapply, with LangChain's keys; and on a chat model, with the classic message templates
    (HumanMessagePromptTemplate, SystemMessagePromptTemplate.from_template)."""
    ns, _ = run("16")
    assert set(ns["ran"]) == {"product", "text"}
    assert len(ns["applied"]) == 3 and all(set(a) == {"text"} for a in ns["applied"])
    assert isinstance(ns["generated"], LLMResult) and len(ns["generated"].generations) == 3
    text(ns["predicted"])
    assert ns["run_one"] == ns["predicted_two"]
    assert ns["only_outputs"] == {"text": ns["run_one"]}
    assert ns["output_keys"] == ["text"]
    assert ns["acalled"]["product"] == "toothpaste" and ns["acalled"]["text"]
    assert ns["ainvoked"] == ns["acalled"]
    assert len(ns["aapplied"]) == 2
    text(ns["chat_run"])
    assert [m.type for m in ns["formatted_messages"]] == ["system", "human"]
    assert ns["formatted_messages"][0].content.endswith("English to French.")
    text(ns["translated"])


def test_notebook_sync_and_await_cells(run: Any) -> None:
    """The custom tools guide's cells that invoke and await in one cell (StructuredTool with
    func and coroutine, a BaseTool subclass)."""
    _, out = run("17")
    assert out.split()[:2] == ["6", "10"]


def test_simple_sequential_chain(run: Any) -> None:
    """SimpleSequentialChain feeds one chain's text to the next; run and arun agree."""
    ns, out = run("18")
    text(ns["review"])
    assert ns["areview"] == ns["review"]
    assert "Entering new SimpleSequentialChain chain" in out


def test_sequential_chain(run: Any) -> None:
    """SequentialChain with two inputs returns them and both named outputs."""
    ns, out = run("19")
    outputs = ns["outputs"]
    assert set(outputs) == {"title", "era", "synopsis", "review"}
    text(outputs["synopsis"])
    text(outputs["review"])
    assert ns["aoutputs"] == outputs
    assert "Entering new SequentialChain chain" in out


# --- LCEL ------------------------------------------------------------------------------------


def test_lcel_sequence(run: Any) -> None:
    """prompt | model | parser, a dict step, a lambda step and .pipe() compose; then
    RunnablePassthrough, .assign and lambdas in RunnableParallel, invoked and streamed."""
    ns, _ = run("20")
    for name in ("joke", "analysis", "with_lambda", "with_pipe", "with_pipe_args"):
        text(ns[name])
    assert ns["passed"] == {"passed": {"num": 1}, "modified": 2}
    assert ns["assigned"] == {"extra": {"num": 1, "mult": 3}, "modified": 2}
    merged: dict[str, Any] = {}
    for chunk in ns["streamed"]:
        merged.update(chunk)
    assert merged["modified"] == 2 and merged["extra"]["mult"] == 3


def test_runnable_parallel_and_retriever(run: Any) -> None:
    """A retriever in a dict step, itemgetter steps, and RunnableParallel's two branches."""
    ns, _ = run("21")
    text(ns["retrieved"])
    text(ns["in_italian"])
    assert set(ns["mapped"]) == {"joke", "poem"}
    for message in ns["mapped"].values():
        answered(message)


def test_agent_executor(run: Any) -> None:
    """The agent migration guide's AgentExecutor: a tool-calling agent answers from its tool,
    with chat history, intermediate steps, max_iterations, message history and stream."""
    ns, out = run("22")
    assert set(ns["first"]) >= {"input", "output"} and ns["first"]["output"]
    assert ns["with_history"]["output"]
    ((action, observation),) = ns["result"]["intermediate_steps"]
    assert action.tool == "magic_function" and observation == action.tool_input["input"] + 2
    assert ns["limited"]["output"] and "Entering new AgentExecutor chain" in out
    assert len(ns["memory"].messages) == 6  # three turns, each a question and an answer
    assert "actions" in ns["steps"][0] and "output" in ns["steps"][-1]


def test_runnable_lambda(run: Any) -> None:
    """RunnableLambda over itemgetter, a @chain function that calls sync invoke inside, a bare
    lambda step, and a function taking the config (with a callback through it)."""
    ns, out = run("23")
    answered(ns["lambda_answer"])
    text(ns["decorated"])
    assert isinstance(ns["coerced"], str) and 0 < len(ns["coerced"]) <= 5
    assert ns["output"] == "Failed to parse"
    assert ns["cb"].successful_requests == 3  # the fixing chain ran three times
    assert "Failed to parse" in out


def test_fallbacks(run: Any) -> None:
    """A chain on a model the server does not know falls back to the completion chain."""
    ns, _ = run("24")
    text(ns["fallback_answer"])


def test_lcel_cheatsheet(run: Any) -> None:
    """Every cell of the LCEL cheatsheet gives the output the page shows: generator lambdas
    streamed, RunnableSerializable subclasses with configurable fields and alternatives,
    astream_events of an async generator step, batch_as_completed, pick, map, get_graph,
    get_prompts with pretty_repr, and with_listeners."""
    ns, out = run("25")
    assert ns["invoked"] == "5" and ns["batched"] == ["7", "8", "9"]
    assert out.splitlines()[:5] == ["0", "1", "2", "3", "4"]
    assert ns["piped"] == [{"foo": 2}, {"foo": 2}]
    assert ns["parallel"] == {"first": {"foo": 2}, "second": [2, 2]}
    assert ns["plus_five"] == 7
    assert ns["assigned"] == {"foo": 10, "bar": 17}
    assert ns["with_input"] == {"bar": 17, "baz": {"foo": 10}}
    assert ns["bound"] == {"bar": "hello", "foo": "bye"}
    assert ns["fell_back"] == "5foo"
    assert ns["retried"] == 2.0 and "attempt with counter=1" in out
    assert (
        ns["configured"]
        == ns["with_config"]
        == {"first": {"foo": 7}, "second": [7, 7], "third": "7"}
    )
    assert ns["not_bar"] == {"not bar": 3} and ns["bar"] == {"bar": 3}
    assert ns["as_string"] == "{'foo': 7}" and ns["as_list"] == [{"foo": 7}]
    assert ns["dynamic_7"] == {"foo": 7} and ns["dynamic_5"] == [5, 5]
    events = [(e["event"], e["name"]) for e in ns["events"]]
    assert events[:3] == [
        ("on_chain_start", "RunnableSequence"),
        ("on_chain_start", "first"),
        ("on_chain_stream", "first"),
    ]
    assert events.count(("on_chain_stream", "second")) == 5
    assert events.count(("on_chain_stream", "RunnableSequence")) == 5
    assert events[-1] == ("on_chain_end", "RunnableSequence")
    assert ns["events"][-1]["data"]["output"] == {"foo": "bar"}
    assert sorted(ns["as_completed"]) == [(0, None), (1, None)]
    assert ns["picked"] == {"foo": 7, "bar": "hi"}
    assert ns["mapped"] == [5, 6, 7]
    for drawn in (
        "| LambdaInput |",
        "| Lambda(lambda x: [x] * 2) |",
        "| Parallel<second,third>Output |",
    ):
        assert drawn in out
    assert out.count("**prompt i=") == 2
    assert "=" * 32 + " System Message " + "=" * 32 in out.splitlines()  # as the page shows
    assert "=" * 34 + " AI Message " + "=" * 34 in out.splitlines()
    assert "{ai_output}" in out
    assert "start_time: " in out and "end_time: " in out


def test_configurable(run: Any) -> None:
    """configurable_fields and configurable_alternatives, chosen through with_config."""
    ns, _ = run("26")
    for name in ("default", "configured", "chained_default", "chained_configured"):
        answered(ns[name])
    answered(ns["joke"])
    answered(ns["poem"])
    assert ns["joke"].content != ns["poem"].content


def test_binding(run: Any) -> None:
    """bind(stop=...) cuts the answer; bind(tools=[OpenAI tool dicts]) is sent as such."""
    ns, _ = run("27")
    text(ns["unbound"])
    assert "SOLUTION" not in ns["bound"]
    assert isinstance(ns["tool_answer"], AIMessage)
    assert isinstance(ns["tool_answer"].tool_calls, list)


# --- output parsers ------------------------------------------------------------------------


def test_list_and_str_parsers(run: Any) -> None:
    """CommaSeparatedListOutputParser in a chain (invoke and stream) and on its own;
    StructuredOutputParser with ResponseSchemas (LangChain's instructions, parsed answer)."""
    ns, _ = run("28")
    assert isinstance(ns["flavors"], list) and ns["flavors"]
    assert all(isinstance(f, str) for f in ns["flavors"])
    assert [item for part in ns["streamed"] for item in part] == ns["flavors"]
    assert ns["parsed"] == ["foo", "bar", "baz"]
    text(ns["text"])
    assert set(ns["structured"]) == {"answer", "source"}
    assert ns["structured_streamed"][-1] == ns["structured"]
    assert '"answer": string  // answer to the user' in ns["format_instructions"]


def test_json_parser(run: Any) -> None:
    """JsonOutputParser(pydantic_object=...) in a chain gives a dict with the schema's keys,
    invoked and streamed (the simulator follows LangChain's format instructions)."""
    ns, _ = run("29")
    assert set(ns["joke"]) == {"setup", "punchline"}
    assert all(isinstance(v, str) and v for v in ns["joke"].values())
    assert all(isinstance(s, dict) for s in ns["streamed"])
    assert ns["streamed"][-1] == ns["joke"]


@pytest.mark.xfail(
    reason="the doc's validator wants the joke's setup to end in '?', and the simulator's "
    "answer text is the prompt's lead sentence (a limit of the simulator, not of the parser)",
    strict=True,
)
def test_pydantic_parser(run: Any) -> None:
    """PydanticOutputParser after a completion model."""
    ns, _ = run("30")
    assert ns["joke"].setup.endswith("?")


def test_structured_output(run: Any) -> None:
    """The structured output guide: with_structured_output with a pydantic class, a TypedDict,
    a JSON schema, a Union, include_raw, streamed, behind few-shot prompts (examples as tool
    calls too), its usage in astream_events, and a PydanticOutputParser whose format
    instructions sit in the system message."""
    ns, out = run("31")
    assert type(ns["pydantic_joke"]).__name__ == "Joke"  # the page defines Joke four times
    assert ns["pydantic_joke"].setup and ns["pydantic_joke"].punchline
    for name in ("typed_joke", "schema_joke", "prompted_joke"):
        assert {"setup", "punchline"} <= set(ns[name]) <= {"setup", "punchline", "rating"}
        assert all(isinstance(ns[name][k], str) for k in ("setup", "punchline"))
    raw = ns["raw_joke"]
    assert set(raw) == {"raw", "parsed", "parsing_error"}
    assert isinstance(raw["raw"], AIMessage) and raw["parsing_error"] is None
    assert set(raw["parsed"]) >= {"setup", "punchline"}
    assert "Token usage: {'input_tokens'" in out
    assert "setup=" in out and "punchline=" in out
    assert type(ns["union_joke"].output).__name__ in ("Joke", "ConversationalResponse")
    assert ns["streamed_jokes"] and set(ns["streamed_jokes"][-1]) >= {"setup", "punchline"}
    assert set(ns["tool_examples_joke"]) >= {"setup", "punchline"}
    people = ns["people"].people
    assert people and all(isinstance(p.height_in_meters, float) for p in people)
    assert "Wrap the output in `json` tags" in out and "Human: Anna is 23" in out


# --- tools -------------------------------------------------------------------------------------


def test_custom_tools(run: Any) -> None:
    """The custom tools guide: @tool (name, description, args, Annotated descriptions,
    args_schema's JSON schema, parse_docstring), StructuredTool.from_function with options, a
    BaseTool subclass, and handle_tool_error as True, a text and a function."""
    ns, out = run("32")
    lines = out.splitlines()
    assert lines[:2] == ["multiply", "Multiply two numbers."]
    assert "multiplication-tool" in lines and "True" in lines
    assert "'description': 'scale factor'" in out and "'description': 'The bar.'" in out
    assert lines[lines.index("Calculator") - 1] == "6" and "multiply numbers" in lines
    tool_class = ns["CustomCalculatorTool"]
    calculator = tool_class()
    assert (calculator.name, calculator.return_direct) == ("Calculator", True)
    assert calculator.invoke({"a": 2, "b": 3}) == 6
    assert ns["handled_true"] == "Error: There is no city by the name of foobar."
    assert ns["handled_text"] == "There is no such city, but it's probably above 0K there!"
    assert ns["handled_function"] == (
        "The following errors occurred during tool execution: "
        "`Error: There is no city by the name of foobar.`"
    )


def test_tool_calling_round_trip(run: Any) -> None:
    """bind_tools with pydantic and TypedDict schemas, PydanticToolsParser, then @tool tools:
    the tool-call loop appending ToolMessages, a forced tool and the round trip back."""
    ns, _ = run("33")
    assert isinstance(ns["schema_bound"], AIMessage)
    assert isinstance(ns["schema_calls"], list) and isinstance(ns["parsed_calls"], list)
    assert isinstance(ns["first"], AIMessage)
    assert isinstance(ns["ai_msg"].tool_calls, list)
    answered(ns["final"])
    (call,) = ns["forced"].tool_calls
    assert call["name"] == "multiply" and set(call["args"]) == {"a", "b"}
    assert call["type"] == "tool_call" and call["id"]
    (call,) = ns["forced_msg"].tool_calls
    messages = ns["messages"]
    assert [type(m) for m in messages] == [HumanMessage, AIMessage, ToolMessage]
    assert messages[2].tool_call_id == call["id"]
    assert messages[2].content == str(call["args"]["a"] * call["args"]["b"])
    answered(ns["round_trip"])


def test_tool_choice_any(run: Any) -> None:
    """tool_choice="any" forces a call of some tool."""
    ns, _ = run("02")
    assert ns["forced_any"].tool_calls


# --- messages, history, splitters, documents -------------------------------------------------


def test_messages(run: Any) -> None:
    """Message classes and their attributes (text, type, id, tool_calls, pretty_print), a
    ToolMessage with an artifact, and tools with response_format="content_and_artifact" (a
    function and a BaseTool) giving the content, or a ToolMessage carrying the artifact."""
    ns, out = run("34")
    for name in ("reply", "system_reply", "dict_reply"):
        answered(ns[name])
    assert ns["message_text"] == ns["reply"].content and ns["message_type"] == "ai"
    assert ns["message_id"] and ns["tool_calls"] == []
    assert "=" * 34 + " Ai Message " + "=" * 34 in out.splitlines()
    assert ns["tool_message_with_artifact"].artifact == {"foo": "bar"}
    assert ns["content_only"].startswith("Successfully generated array of 10 random ints")
    ints = ns["with_artifact"]
    assert isinstance(ints, ToolMessage) and ints.tool_call_id == "123"
    assert ints.content == ns["content_only"]
    assert len(ints.artifact) == 10 and all(0 <= i <= 9 for i in ints.artifact)
    floats = ns["floats"].artifact
    assert len(floats) == 3 and all(round(f, 4) == f and 0.1 <= f <= 3.3333 for f in floats)


def test_message_history(run: Any) -> None:
    """RunnableWithMessageHistory keeps one history per session_id, sync and async."""
    ns, _ = run("35")
    store = ns["store"]
    assert set(store) == {"abc123", "def234", "plain"}
    assert all(isinstance(h, InMemoryChatMessageHistory) for h in store.values())
    assert [m.type for m in store["abc123"].messages] == ["human", "ai"] * 3
    assert len(store["def234"].messages) == 2
    assert store["plain"].messages[0].content == "Hi! I'm Bob"
    for name in ("first", "second", "other", "plain", "ainvoked"):
        answered(ns[name])


def test_trim_messages(run: Any) -> None:
    """trim_messages by approximate tokens, by count, first-n, and as a chain step."""
    ns, _ = run("36")
    assert ns["trimmed_count"][0].type == "system"


def test_text_splitters(run: Any) -> None:
    """RecursiveCharacterTextSplitter and CharacterTextSplitter (documents, metadata, texts),
    and splitting code with from_language(Language.PYTHON / JS) where LangChain splits it."""
    ns, out = run("37")
    texts = ns["texts"]
    assert all(isinstance(d, Document) for d in texts)
    assert all(len(d.page_content) <= 100 for d in texts) and len(texts) > 10
    assert ns["recursive_texts"] == [d.page_content for d in texts[:2]]
    assert all(len(d.page_content) <= 1000 for d in ns["char_texts"])
    assert {d.metadata["document"] for d in ns["documents"]} == {1, 2}
    assert ns["split_strings"] == ns["char_texts"][0].page_content
    assert "python" in ns["languages"] and "markdown" in ns["languages"]
    assert [d.page_content for d in ns["python_docs"]] == [  # as the code splitter page shows
        'def hello_world():\n    print("Hello, World!")',
        "# Call the function\nhello_world()",
    ]
    assert [d.page_content for d in ns["js_docs"]] == [
        'function helloWorld() {\n  console.log("Hello, World!");\n}',
        "// Call the function\nhelloWorld();",
    ]
    assert "page_content=" in out


def test_documents_and_stuff_chain(run: Any) -> None:
    """Document fields and create_stuff_documents_chain (LangChain's import path), invoked and
    streamed."""
    ns, _ = run("38")
    assert ns["document"].metadata == {"source": "https://example.com"}
    text(ns["result"])
    assert "".join(ns["streamed"]) == ns["result"]


def test_response_metadata_token_usage(run: Any) -> None:
    """response_metadata["token_usage"] holds OpenAI's usage dict."""
    _, out = run("39")
    assert "'prompt_tokens'" in out


def test_llmresult_fields(run: Any) -> None:
    """A chat model's generate: LLMResult.generations of ChatGeneration, llm_output's
    token_usage summing both prompts, and flatten()."""
    ns, _ = run("40")
    result = ns["result"]
    assert isinstance(result, LLMResult) and len(result.generations) == 2
    generation = ns["first_generation"]
    assert isinstance(generation, ChatGeneration)
    assert isinstance(ns["first_message"], BaseMessage)
    assert ns["first_text"] == ns["first_message"].content
    assert ns["first_info"]["finish_reason"] == "stop"
    usage = ns["token_usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    flattened = ns["flattened"]
    assert [f.generations for f in flattened] == [[g] for g in ns["aresult"].generations]
    assert flattened[0].llm_output["token_usage"] == usage
    assert flattened[1].llm_output["token_usage"] == {}


def test_every_program_is_tested() -> None:
    """Each program in tests/langchain_docs has a test here, and its header names a source."""
    names = sorted(p.name for p in PROGRAMS.glob("[0-9][0-9]_*.py"))
    assert 25 <= len(names) <= 40
    source = Path(__file__).read_text()
    for name in names:
        assert f'run("{name[:2]}")' in source, name
        assert (PROGRAMS / name).read_text().startswith("# Source: "), name
