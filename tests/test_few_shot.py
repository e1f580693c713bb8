"""Few-shot prompts, from LangChain's documented examples."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from aiochain import ChatOpenAI, ConfigurationError, MissingVariablesError
from aiochain.messages import AIMessage, HumanMessage, SystemMessage
from aiochain.prompts import (
    ChatPromptTemplate,
    FewShotChatMessagePromptTemplate,
    FewShotPromptTemplate,
    LengthBasedExampleSelector,
    PromptTemplate,
)

from .conftest import Reply, ScriptedServer, completion_json

EXAMPLES = [{"input": "2 🦜 2", "output": "4"}, {"input": "2 🦜 3", "output": "5"}]


def few_shot_chat() -> FewShotChatMessagePromptTemplate:
    example_prompt = ChatPromptTemplate.from_messages([("human", "{input}"), ("ai", "{output}")])
    return FewShotChatMessagePromptTemplate(example_prompt=example_prompt, examples=EXAMPLES)


def test_few_shot_chat_messages() -> None:
    """Each example becomes a human and an AI message, in order; format gives their lines."""
    few_shot = few_shot_chat()
    assert few_shot.invoke({}).to_messages() == [
        HumanMessage("2 🦜 2"),
        AIMessage("4"),
        HumanMessage("2 🦜 3"),
        AIMessage("5"),
    ]
    assert few_shot.format() == "Human: 2 🦜 2\nAI: 4\nHuman: 2 🦜 3\nAI: 5"


async def test_few_shot_inside_a_chat_prompt_is_sent_to_the_model(
    scripted: Callable[[list[Reply]], Awaitable[ScriptedServer]],
) -> None:
    """A few-shot template inside ChatPromptTemplate.from_messages sends the examples between
    the system message and the question."""
    server = await scripted([Reply(json=completion_json("11", chat=True))])
    final_prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a wondrous wizard of math."), few_shot_chat(), ("human", "{input}")]
    )
    assert final_prompt.input_variables == ["input"]
    async with ChatOpenAI(base_url=server.base_url) as chat:
        answer = await (final_prompt | chat).ainvoke({"input": "What is 2 🦜 9?"})
    assert answer.content == "11"
    assert server.requests[0]["messages"] == [
        {"role": "system", "content": "You are a wondrous wizard of math."},
        {"role": "user", "content": "2 🦜 2"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "2 🦜 3"},
        {"role": "assistant", "content": "5"},
        {"role": "user", "content": "What is 2 🦜 9?"},
    ]
    assert final_prompt.format_messages(input="x")[0] == SystemMessage(
        "You are a wondrous wizard of math."
    )


def test_few_shot_prompt_template_joins_prefix_examples_and_suffix() -> None:
    """FewShotPromptTemplate: prefix, examples and suffix joined by example_separator."""
    example_prompt = PromptTemplate.from_template("Question: {question}\n{answer}")
    prompt = FewShotPromptTemplate(
        examples=[
            {"question": "Who lived longer?", "answer": "Ali {maybe}"},
            {"question": "When was he born?", "answer": "1889", "unused": "x"},
        ],
        example_prompt=example_prompt,
        prefix="Answer like these, {name}:",
        suffix="Question: {input}",
        input_variables=["input"],
    )
    assert prompt.input_variables == ["name", "input"]
    assert prompt.invoke({"input": "Who was the father?", "name": "Bo"}).to_string() == (
        "Answer like these, Bo:\n\nQuestion: Who lived longer?\nAli {maybe}\n\n"
        "Question: When was he born?\n1889\n\nQuestion: Who was the father?"
    )
    with pytest.raises(MissingVariablesError):
        prompt.format(name="Bo")


def test_length_based_selector_chooses_examples_that_fit() -> None:
    """LengthBasedExampleSelector takes examples while they fit in max_length words."""
    example_prompt = PromptTemplate.from_template("Input: {input}\nOutput: {output}")
    antonyms = [
        {"input": "happy", "output": "sad"},
        {"input": "tall", "output": "short"},
        {"input": "energetic", "output": "lethargic"},
    ]
    selector = LengthBasedExampleSelector(
        examples=antonyms, example_prompt=example_prompt, max_length=9
    )
    prompt = FewShotPromptTemplate(
        example_selector=selector,
        example_prompt=example_prompt,
        prefix="Give the antonym of every input",
        suffix="Input: {adjective}\nOutput:",
    )
    text = prompt.format(adjective="big")
    assert "happy" in text and "tall" in text and "energetic" not in text
    long_input = prompt.format(adjective="big and huge and very massive")
    assert "happy" not in long_input


def test_examples_or_selector_exactly_one() -> None:
    """Giving both examples and a selector, or neither, is refused."""
    example_prompt = PromptTemplate.from_template("{a}")
    with pytest.raises(ConfigurationError):
        FewShotPromptTemplate(example_prompt=example_prompt, suffix="{x}")
