"""AgentExecutor and create_tool_calling_agent, from LangChain's documented examples, against
the simulator and scripted servers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiochain import ChatAnthropic, ChatOpenAI, ConfigurationError, OutputParserError
from aiochain.agents import (
    AgentActionStep,
    AgentExecutor,
    ToolAgentAction,
    create_tool_calling_agent,
)
from aiochain.messages import AIMessage, HumanMessage
from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
from aiochain.sim import SimServer
from aiochain.tools import Tool, tool

from .conftest import Reply, ScriptedServer

Scripted = Callable[[list[Reply]], Awaitable[ScriptedServer]]

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a helpful assistant"),
        ("placeholder", "{chat_history}"),
        ("human", "{input}"),
        ("placeholder", "{agent_scratchpad}"),
    ]
)


@tool
def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


def tool_call_reply(*calls: tuple[str, str], content: str | None = None) -> Reply:
    """A chat answer asking for tools: (name, raw JSON arguments) each."""
    message = {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(calls)
        ],
    }
    return Reply(
        json={
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )


def text_reply(text: str) -> Reply:
    return Reply(
        json={
            "id": "x",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )


async def test_the_documented_agent_answers(sim: SimServer) -> None:
    """The LangChain docs' agent calls magic_function and answers with its result; the
    intermediate steps are (action, observation) pairs."""
    async with ChatOpenAI(base_url=sim.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(
            agent=agent, tools=[magic_function], return_intermediate_steps=True
        )
        result = await executor.ainvoke(
            {
                "input": "what is the value of magic_function input=3 ?",
                "chat_history": [HumanMessage("hi! my name is bob"), AIMessage("Hello Bob!")],
            }
        )
    assert result["output"] == "Based on the tools: magic_function: 5."
    assert result["input"] == "what is the value of magic_function input=3 ?"
    [(action, observation)] = result["intermediate_steps"]
    assert isinstance(action, ToolAgentAction)
    assert (action.tool, action.tool_input, observation) == ("magic_function", {"input": 3}, 5)
    assert sim.stats()["requests_total"] == 2


async def test_three_slow_tools_of_a_step_run_at_once(sim: SimServer) -> None:
    """A step asking for three tools runs them together: each waits until all three are
    running, which only happens when they overlap (one at a time, the first would wait
    forever and fail)."""
    running = 0
    most = 0
    all_running = asyncio.Event()

    def slow(name: str) -> Tool:
        async def run(topic: str) -> str:
            nonlocal running, most
            running += 1
            most = max(most, running)
            if running == 3:
                all_running.set()
            try:
                async with asyncio.timeout(10):
                    await all_running.wait()
            finally:
                running -= 1
            return f"{name} knows {topic}"

        return Tool(run, name=name, description=f"Ask {name}.")

    tools = [slow("alpha"), slow("beta"), slow("gamma")]
    async with ChatOpenAI(base_url=sim.base_url) as model:
        agent = create_tool_calling_agent(model, tools, PROMPT)
        executor = AgentExecutor(agent=agent, tools=tools)
        result = await executor.ainvoke({"input": "Ask alpha, beta and gamma about topic=tides."})
    assert most == 3
    assert result["output"] == (
        "Based on the tools: alpha: alpha knows tides; beta: beta knows tides; "
        "gamma: gamma knows tides."
    )


async def test_astream_yields_actions_steps_and_output(sim: SimServer) -> None:
    """astream yields LangChain's chunks: actions, then steps, then the output."""
    async with ChatOpenAI(base_url=sim.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[magic_function])
        chunks = [c async for c in executor.astream({"input": "magic_function input=4 please"})]
    assert [sorted(c) for c in chunks] == [
        ["actions", "messages"],
        ["messages", "steps"],
        ["messages", "output"],
    ]
    [action] = chunks[0]["actions"]
    assert action.tool == "magic_function" and action.tool_input == {"input": 4}
    [step] = chunks[1]["steps"]
    assert isinstance(step, AgentActionStep) and step.observation == 6
    assert chunks[1]["messages"][0].tool_call_id == action.tool_call_id
    assert chunks[2]["output"] == "Based on the tools: magic_function: 6."


async def test_max_iterations_stops_the_run(scripted: Scripted) -> None:
    """A model that always calls a tool is stopped after max_iterations steps with LangChain's
    message."""
    server = await scripted([tool_call_reply(("magic_function", '{"input": 1}'))])
    async with ChatOpenAI(base_url=server.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[magic_function], max_iterations=2)
        result = await executor.ainvoke({"input": "loop"})
    assert result["output"] == "Agent stopped due to max iterations."
    assert len(server.requests) == 2
    # The second request carries the first step: the AI's call and the tool's answer.
    sent = server.requests[1]["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "call_0", "content": "3"}
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "magic_function"


async def test_max_execution_time_stops_the_run(sim: SimServer) -> None:
    """A run past max_execution_time stops with the stopped message, its tool cancelled."""
    never = asyncio.Event()

    @tool
    async def wait_forever(topic: str) -> str:
        """Waits."""
        await never.wait()
        return topic

    async with ChatOpenAI(base_url=sim.base_url) as model:
        agent = create_tool_calling_agent(model, [wait_forever], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[wait_forever], max_execution_time=0.2)
        result = await executor.ainvoke({"input": "wait_forever please"})
    assert result["output"] == "Agent stopped due to max iterations."


async def test_parsing_errors_raise_or_go_back_to_the_model(scripted: Scripted) -> None:
    """Arguments that are not JSON raise unless handle_parsing_errors; with it, the error goes
    to the model and the run goes on."""
    bad = tool_call_reply(("magic_function", "{not json"))
    server = await scripted([bad])
    async with ChatOpenAI(base_url=server.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        with pytest.raises(OutputParserError, match="handle_parsing_errors=True"):
            await AgentExecutor(agent=agent, tools=[magic_function]).ainvoke({"input": "x"})
    server = await scripted([bad, text_reply("done")])
    async with ChatOpenAI(base_url=server.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(
            agent=agent,
            tools=[magic_function],
            handle_parsing_errors=True,
            return_intermediate_steps=True,
        )
        result = await executor.ainvoke({"input": "x"})
    assert result["output"] == "done"
    [(action, observation)] = result["intermediate_steps"]
    assert (action.tool, observation) == ("_Exception", "Invalid or incomplete response")
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]


async def test_unknown_tools_and_return_direct(scripted: Scripted) -> None:
    """An unknown tool is answered with LangChain's text; a return_direct tool's answer is the
    output, with no further model call."""
    server = await scripted([tool_call_reply(("nope", "{}")), text_reply("fine")])
    async with ChatOpenAI(base_url=server.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        await AgentExecutor(agent=agent, tools=[magic_function]).ainvoke({"input": "x"})
    assert server.requests[1]["messages"][-1]["content"] == (
        "nope is not a valid tool, try one of [magic_function]."
    )

    @tool(return_direct=True)
    def final(text: str) -> str:
        """Answers for good."""
        return f"final: {text}"

    server = await scripted([tool_call_reply(("final", '{"text": "hi"}'))])
    async with ChatOpenAI(base_url=server.base_url) as model:
        agent = create_tool_calling_agent(model, [final], PROMPT)
        result = await AgentExecutor(agent=agent, tools=[final]).ainvoke({"input": "x"})
    assert result["output"] == "final: hi"
    assert len(server.requests) == 1


async def test_anthropic_agent(sim: SimServer) -> None:
    """The same agent runs on ChatAnthropic."""
    async with ChatAnthropic(base_url=sim.root_url, api_key="k") as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[magic_function])
        result = await executor.ainvoke({"input": "magic_function input=1 please"})
    assert result["output"] == "Based on the tools: magic_function: 3."


def test_bad_setups_are_refused() -> None:
    """A prompt without agent_scratchpad, and unsupported options, are refused."""
    model = ChatOpenAI(base_url="http://127.0.0.1:9/v1")
    no_pad = ChatPromptTemplate.from_messages([("human", "{input}")])
    with pytest.raises(ConfigurationError, match="agent_scratchpad"):
        create_tool_calling_agent(model, [magic_function], no_pad)
    with_placeholder = ChatPromptTemplate.from_messages(
        [("human", "{input}"), MessagesPlaceholder("agent_scratchpad")]
    )
    agent = create_tool_calling_agent(model, [magic_function], with_placeholder)
    with pytest.raises(ConfigurationError, match="early_stopping_method"):
        AgentExecutor(agent=agent, tools=[magic_function], early_stopping_method="generate")
    with pytest.raises(ConfigurationError):
        AgentExecutor(agent=agent, tools=[magic_function], max_iterations=0)


def test_sync_invoke_and_stream() -> None:
    """invoke and stream work from sync code, as in LangChain's tutorials."""
    with SimServer().serve_in_thread() as base_url:
        model = ChatOpenAI(base_url=base_url)
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[magic_function])
        result = executor.invoke({"input": "magic_function input=2 please"})
        chunks = list(executor.stream({"input": "magic_function input=2 please"}))
    assert result["output"] == "Based on the tools: magic_function: 4."
    assert chunks[-1]["output"] == result["output"]
    assert "actions" in chunks[0]


async def test_handlers_hear_agent_actions_and_the_finish(sim: SimServer) -> None:
    """A callback handler of the run hears on_agent_action for each call and on_agent_finish."""
    from aiochain.callbacks import AsyncCallbackHandler

    heard: list[str] = []

    class Listener(AsyncCallbackHandler):
        async def on_agent_action(self, action: Any, **kwargs: Any) -> None:
            heard.append(f"action {action.tool}")

        async def on_agent_finish(self, finish: Any, **kwargs: Any) -> None:
            heard.append(f"finish {finish.return_values['output']}")

    async with ChatOpenAI(base_url=sim.base_url) as model:
        agent = create_tool_calling_agent(model, [magic_function], PROMPT)
        executor = AgentExecutor(agent=agent, tools=[magic_function])
        await executor.ainvoke(
            {"input": "magic_function input=1 please"}, config={"callbacks": [Listener()]}
        )
    assert heard == ["action magic_function", "finish Based on the tools: magic_function: 3."]
