"""Prompt templates: `PromptTemplate` for completion models, `ChatPromptTemplate` (with
`MessagesPlaceholder`) for chat models, and the prompt values they return.

Templates use `str.format` syntax restricted to plain `{name}` fields (`{{` and `}}` escape a
brace). Attribute access, indexing, conversions and format specs (`{x.__class__}`, `{x[0]}`,
`{x!r:>10}`) are rejected when the template is built: templates may come from users, and full
`str.format` lets a template read attributes of the objects it is given, an injection hole
other libraries have had. For the same reason `template_format="jinja2"` and `"mustache"` are
refused. A template is compiled once into literal/field pairs, so `format` is a join, not a
parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .chat import ChatPromptTemplate as ChatPromptTemplate
    from .chat import MessagesPlaceholder as MessagesPlaceholder
    from .chat import MessageTemplateLike as MessageTemplateLike
    from .few_shot import FewShotChatMessagePromptTemplate as FewShotChatMessagePromptTemplate
    from .few_shot import FewShotPromptTemplate as FewShotPromptTemplate
    from .few_shot import LengthBasedExampleSelector as LengthBasedExampleSelector
    from .message_templates import AIMessagePromptTemplate as AIMessagePromptTemplate
    from .message_templates import BaseMessagePromptTemplate as BaseMessagePromptTemplate
    from .message_templates import HumanMessagePromptTemplate as HumanMessagePromptTemplate
    from .message_templates import SystemMessagePromptTemplate as SystemMessagePromptTemplate
    from .prompt import BasePromptTemplate as BasePromptTemplate
    from .prompt import ChatPromptValue as ChatPromptValue
    from .prompt import LanguageModelInput as LanguageModelInput
    from .prompt import PartialValue as PartialValue
    from .prompt import PromptTemplate as PromptTemplate
    from .prompt import PromptValue as PromptValue
    from .prompt import StringPromptValue as StringPromptValue
    from .prompt import compile_template as compile_template

_EXPORTS = {
    "AIMessagePromptTemplate": ".message_templates",
    "BaseMessagePromptTemplate": ".message_templates",
    "HumanMessagePromptTemplate": ".message_templates",
    "SystemMessagePromptTemplate": ".message_templates",
    "BasePromptTemplate": ".prompt",
    "ChatPromptTemplate": ".chat",
    "ChatPromptValue": ".prompt",
    "compile_template": ".prompt",
    "FewShotChatMessagePromptTemplate": ".few_shot",
    "FewShotPromptTemplate": ".few_shot",
    "LanguageModelInput": ".prompt",
    "LengthBasedExampleSelector": ".few_shot",
    "MessagesPlaceholder": ".chat",
    "MessageTemplateLike": ".chat",
    "PartialValue": ".prompt",
    "PromptTemplate": ".prompt",
    "PromptValue": ".prompt",
    "StringPromptValue": ".prompt",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AIMessagePromptTemplate",
    "BaseMessagePromptTemplate",
    "BasePromptTemplate",
    "ChatPromptTemplate",
    "ChatPromptValue",
    "FewShotChatMessagePromptTemplate",
    "FewShotPromptTemplate",
    "HumanMessagePromptTemplate",
    "LanguageModelInput",
    "LengthBasedExampleSelector",
    "MessageTemplateLike",
    "MessagesPlaceholder",
    "PartialValue",
    "PromptTemplate",
    "PromptValue",
    "StringPromptValue",
    "SystemMessagePromptTemplate",
    "compile_template",
]
