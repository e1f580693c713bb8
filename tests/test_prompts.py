"""Prompt templates: parsing, safety, variables, partials, chat messages."""

from __future__ import annotations

import pytest

from aiochain import (
    AIMessage,
    ChatPromptTemplate,
    HumanMessage,
    MissingVariablesError,
    PromptTemplate,
    SystemMessage,
    TemplateError,
)
from aiochain.prompts import StringPromptValue


def test_from_template_finds_variables_in_order() -> None:
    """Variables are the template's fields, in order of first appearance, without repeats."""
    prompt = PromptTemplate.from_template("{b} and {a}, then {b} again")
    assert prompt.input_variables == ["b", "a"]
    assert prompt.format(a="1", b="2") == "2 and 1, then 2 again"


def test_escaped_braces_are_literal() -> None:
    """`{{` and `}}` produce literal braces and are not fields."""
    prompt = PromptTemplate.from_template('Return {{"answer": "{x}"}}')
    assert prompt.input_variables == ["x"]
    assert prompt.format(x="yes") == 'Return {"answer": "yes"}'


def test_values_are_converted_with_str() -> None:
    """Non-string values are formatted with str()."""
    assert PromptTemplate.from_template("{n} items").format(n=3) == "3 items"


@pytest.mark.parametrize(
    "template",
    ["{x.__class__}", "{x[0]}", "{x!r}", "{x:>10}", "{x!r:>10}", "{}", "{0}", "{x.y.z}"],
)
def test_unsafe_fields_are_rejected_at_build_time(template: str) -> None:
    """Attribute access, indexing, conversions, format specs and positional fields are refused."""
    with pytest.raises(TemplateError) as info:
        PromptTemplate.from_template(template)
    assert "not allowed" in str(info.value) or "no name" in str(info.value)


@pytest.mark.parametrize("template", ["{unclosed", "stray } brace", "{a{b}}"])
def test_malformed_templates_are_rejected(template: str) -> None:
    """Unbalanced braces raise TemplateError with the template shown."""
    with pytest.raises(TemplateError):
        PromptTemplate.from_template(template)


def test_missing_variables_are_all_named() -> None:
    """A missing-variables error names every missing variable, not just the first."""
    prompt = PromptTemplate.from_template("{a} {b} {c}")
    with pytest.raises(MissingVariablesError) as info:
        prompt.format(b="x")
    assert info.value.missing == ["a", "c"]
    assert "a, c" in str(info.value)


def test_unexpected_variables_are_an_error() -> None:
    """Extra variables the template does not use are refused, by name."""
    prompt = PromptTemplate.from_template("{a}")
    with pytest.raises(MissingVariablesError) as info:
        prompt.format(a="1", typo="2")
    assert info.value.unexpected == ["typo"]


def test_explicit_input_variables_must_match() -> None:
    """input_variables given to the constructor must match the template's fields."""
    assert PromptTemplate(template="{a}{b}", input_variables=["b", "a"]).input_variables == [
        "a",
        "b",
    ]
    with pytest.raises(TemplateError):
        PromptTemplate(template="{a}", input_variables=["a", "b"])


def test_partial_fixes_values_and_functions() -> None:
    """partial() removes variables from input_variables; callables are called at format time."""
    prompt = PromptTemplate.from_template("{greeting}, {name} ({day})")
    calls = []

    def today() -> str:
        calls.append(1)
        return "Monday"

    partial = prompt.partial(greeting="Hello").partial(day=today)
    assert partial.input_variables == ["name"]
    assert partial.format(name="Ada") == "Hello, Ada (Monday)"
    assert calls == [1]
    assert prompt.input_variables == ["greeting", "name", "day"]  # the original is unchanged


def test_partial_of_unknown_variable_is_an_error() -> None:
    """Fixing a variable the template does not have is a mistake worth reporting."""
    with pytest.raises(TemplateError):
        PromptTemplate.from_template("{a}").partial(b="x")


def test_invoke_accepts_dict_or_single_value() -> None:
    """invoke() takes a dict, or one plain value for a one-variable template."""
    prompt = PromptTemplate.from_template("Summarize: {text}")
    assert prompt.invoke({"text": "x"}).to_string() == "Summarize: x"
    value = prompt.invoke("y")
    assert isinstance(value, StringPromptValue)
    assert value.to_messages() == [HumanMessage("Summarize: y")]


def test_unsupported_template_format() -> None:
    """Only f-string templates are supported; jinja2 is refused rather than misread."""
    with pytest.raises(TemplateError):
        PromptTemplate(template="{{ x }}", template_format="jinja2")


def test_chat_prompt_from_messages() -> None:
    """A chat template fills every message and keeps roles."""
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are {persona}."), ("human", "Summarize: {text}"), SystemMessage("fixed")]
    )
    assert prompt.input_variables == ["persona", "text"]
    messages = prompt.format_messages(persona="terse", text="long text")
    assert messages == [
        SystemMessage("You are terse."),
        HumanMessage("Summarize: long text"),
        SystemMessage("fixed"),
    ]
    assert prompt.format(persona="a", text="b") == (
        "System: You are a.\nHuman: Summarize: b\nSystem: fixed"
    )


def test_chat_prompt_checks_variables_and_roles() -> None:
    """Chat templates report missing/unexpected variables and unknown roles."""
    prompt = ChatPromptTemplate.from_messages([("user", "{a}"), ("assistant", "{b}")])
    with pytest.raises(MissingVariablesError) as info:
        prompt.format_messages(a="1", c="3")
    assert info.value.missing == ["b"] and info.value.unexpected == ["c"]
    with pytest.raises(ValueError, match="unknown message role"):
        ChatPromptTemplate.from_messages([("wizard", "{a}")])
    with pytest.raises(TemplateError):
        ChatPromptTemplate.from_messages([("human", "{a.b}")])


def test_chat_prompt_partial() -> None:
    """partial() on a chat template fixes variables across messages."""
    prompt = ChatPromptTemplate.from_messages([("system", "Be {tone}."), ("human", "{q}")])
    partial = prompt.partial(tone="brief")
    assert partial.input_variables == ["q"]
    assert partial.format_messages(q="hi")[0] == SystemMessage("Be brief.")


# --- issue 14: LangChain's prompt API ------------------------------------------------------


def test_adding_templates_keeps_partial_variables() -> None:
    """`a + b` keeps the partial variables of both templates (they used to be dropped)."""
    greeting = PromptTemplate.from_template("Hello {name}. ").partial(name="Ada")
    question = PromptTemplate(template="Ask {q} in {lang}", partial_variables={"lang": "French"})
    joined = greeting + question
    assert joined.input_variables == ["q"]
    assert joined.format(q="why") == "Hello Ada. Ask why in French"
    assert (greeting + "and {x}").format(x="1") == "Hello Ada. and 1"


def test_prompt_template_constructor_and_invoke_value() -> None:
    """PromptTemplate(input_variables=, template=, partial_variables=) works as in LangChain;
    invoke returns a prompt value with to_string / to_messages, ignoring keys it does not use."""
    prompt = PromptTemplate(
        input_variables=["topic"],
        template="{tone} joke about {topic}",
        partial_variables={"tone": "A dry"},
    )
    value = prompt.invoke({"topic": "cats", "unused": 1})
    assert value.to_string() == "A dry joke about cats"
    assert value.to_messages() == [HumanMessage("A dry joke about cats")]


def test_messages_placeholder_and_placeholder_tuples() -> None:
    """MessagesPlaceholder inserts a list of messages; ("placeholder", "{x}") is an optional one."""
    from aiochain import MessagesPlaceholder

    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are {role}."),
            MessagesPlaceholder("history"),
            ("placeholder", "{scratch}"),
            ("human", "{question}"),
        ]
    )
    assert prompt.input_variables == ["role", "history", "question"]
    history = [HumanMessage("hi"), AIMessage("hello"), ("human", "again")]
    messages = prompt.format_messages(role="a bot", history=history, question="q?")
    assert messages == [
        SystemMessage("You are a bot."),
        HumanMessage("hi"),
        AIMessage("hello"),
        HumanMessage("again"),
        HumanMessage("q?"),
    ]
    with_scratch = prompt.invoke(
        {"role": "r", "history": [], "question": "q", "scratch": [AIMessage("thinking")]}
    )
    assert with_scratch.to_messages()[1] == AIMessage("thinking")
    assert with_scratch.to_string() == "System: You are r.\nAI: thinking\nHuman: q"
    with pytest.raises(MissingVariablesError, match="history"):
        prompt.format_messages(role="r", question="q")
    with pytest.raises(TemplateError, match="list of messages"):
        prompt.format_messages(role="r", question="q", history="not a list")
    optional = ChatPromptTemplate.from_messages(
        [MessagesPlaceholder("h", optional=True), ("human", "{x}")]
    )
    assert optional.format_messages(x="1") == [HumanMessage("1")]


def test_chat_from_template_and_format_messages() -> None:
    """ChatPromptTemplate.from_template is one human message; partials work with placeholders."""
    prompt = ChatPromptTemplate.from_template("Tell me about {x}")
    assert prompt.format_messages(x="tides") == [HumanMessage("Tell me about tides")]
    assert prompt.partial(x="moons").invoke({}).to_messages() == [
        HumanMessage("Tell me about moons")
    ]


@pytest.mark.parametrize("template_format", ["jinja2", "mustache"])
def test_jinja2_and_mustache_are_refused_with_the_reason(template_format: str) -> None:
    """Other template formats are refused with a TemplateError that says why."""
    with pytest.raises(TemplateError, match=r"f-string.*user"):
        PromptTemplate(template="{{ x }}", template_format=template_format)
    with pytest.raises(TemplateError, match=template_format):
        PromptTemplate.from_template("{{ x }}", template_format=template_format)
    with pytest.raises(TemplateError, match=template_format):
        ChatPromptTemplate.from_messages([("human", "{{ x }}")], template_format=template_format)


def test_classic_message_templates() -> None:
    """SystemMessagePromptTemplate.from_template / HumanMessagePromptTemplate(prompt=...) make
    one message each, inside a ChatPromptTemplate (LangChain's classic chat prompts), importable
    from aiochain.prompts.chat as from langchain.prompts.chat."""
    from aiochain.prompts import PromptTemplate
    from aiochain.prompts.chat import (
        AIMessagePromptTemplate,
        ChatPromptTemplate,
        HumanMessagePromptTemplate,
        SystemMessagePromptTemplate,
    )

    system = SystemMessagePromptTemplate.from_template("You translate {source} to {target}.")
    human = HumanMessagePromptTemplate(prompt=PromptTemplate(template="{text}"))
    assert system.input_variables == ["source", "target"]
    assert human.format(text="hi").type == "human"
    prompt = ChatPromptTemplate.from_messages(
        [system, AIMessagePromptTemplate.from_template("Ready."), human]
    )
    assert sorted(prompt.input_variables) == ["source", "target", "text"]
    messages = prompt.format_prompt(source="English", target="French", text="hi").to_messages()
    assert [(m.type, m.content) for m in messages] == [
        ("system", "You translate English to French."),
        ("ai", "Ready."),
        ("human", "hi"),
    ]
    assert " Human Message " in prompt.pretty_repr() and "{text}" in prompt.pretty_repr()


def test_chat_prompt_lists_its_messages() -> None:
    """ChatPromptTemplate.messages lists message templates, placeholders and fixed messages,
    as LangChain's attribute does."""
    from aiochain.messages import AIMessage
    from aiochain.prompts import ChatPromptTemplate, MessagesPlaceholder
    from aiochain.prompts.chat import HumanMessagePromptTemplate, SystemMessagePromptTemplate

    fixed = AIMessage("ok")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "be {tone}"), MessagesPlaceholder("history"), fixed, ("human", "{q}")]
    )
    system, placeholder, message, human = prompt.messages
    assert isinstance(system, SystemMessagePromptTemplate) and system.prompt.template == "be {tone}"
    assert isinstance(placeholder, MessagesPlaceholder) and message is fixed
    assert isinstance(human, HumanMessagePromptTemplate) and human.format(q="x").content == "x"
