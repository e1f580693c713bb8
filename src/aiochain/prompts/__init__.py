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

from ._chat_prompt import ChatPromptTemplate, MessagesPlaceholder, MessageTemplateLike
from ._few_shot import (
    FewShotChatMessagePromptTemplate,
    FewShotPromptTemplate,
    LengthBasedExampleSelector,
)
from ._string_prompt import (
    BasePromptTemplate,
    ChatPromptValue,
    LanguageModelInput,
    PartialValue,
    PromptTemplate,
    PromptValue,
    StringPromptValue,
    compile_template,
)

__all__ = [
    "BasePromptTemplate",
    "ChatPromptTemplate",
    "ChatPromptValue",
    "FewShotChatMessagePromptTemplate",
    "FewShotPromptTemplate",
    "LanguageModelInput",
    "LengthBasedExampleSelector",
    "MessageTemplateLike",
    "MessagesPlaceholder",
    "PartialValue",
    "PromptTemplate",
    "PromptValue",
    "StringPromptValue",
    "compile_template",
]
