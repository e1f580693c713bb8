# Source: https://python.langchain.com/v0.1/docs/modules/chains/foundational/llm_chain/ (the
#   classic LLMChain guide: run, __call__, apply, generate, predict, and its chat model section)
#   and the classic chat quickstart's LLMChain cells (SystemMessagePromptTemplate ...)
# Changes: imports only.
# %%
from aiochain.chains import LLMChain
from aiochain.llms import OpenAI
from aiochain.prompts import PromptTemplate

prompt_template = "What is a good name for a company that makes {product}?"

llm = OpenAI(temperature=0)
llm_chain = LLMChain(
    llm=llm,
    prompt=PromptTemplate.from_template(prompt_template)
)
ran = llm_chain("colorful socks")

# %%
input_list = [
    {"product": "socks"},
    {"product": "computer"},
    {"product": "shoes"}
]

applied = llm_chain.apply(input_list)

# %%
generated = llm_chain.generate(input_list)

# %%
predicted = llm_chain.predict(product="colorful socks")

# %%
template = """Tell me a {adjective} joke about {subject}."""
prompt = PromptTemplate(template=template, input_variables=["adjective", "subject"])
llm_chain = LLMChain(prompt=prompt, llm=OpenAI(temperature=0))

predicted_two = llm_chain.predict(adjective="sad", subject="ducks")

# %%
run_one = llm_chain.run({"adjective": "sad", "subject": "ducks"})
only_outputs = llm_chain({"adjective": "sad", "subject": "ducks"}, return_only_outputs=True)
output_keys = llm_chain.output_keys

# %%
llm = OpenAI(temperature=0.9)
prompt = PromptTemplate(
    input_variables=["product"],
    template="What is a good name for a company that makes {product}?",
)
chain = LLMChain(llm=llm, prompt=prompt)
acalled = await chain.acall({"product": "toothpaste"})
ainvoked = await chain.ainvoke({"product": "toothpaste"})
aapplied = await chain.aapply([{"product": "socks"}, {"product": "shoes"}])

# %%
# LLMChain with a chat model and message templates (the classic LLMChain guide's chat section,
# and the classic chat quickstart's "LLMChain" cells).
from aiochain.chat_models import ChatOpenAI
from aiochain.prompts.chat import (
    ChatPromptTemplate,
    HumanMessagePromptTemplate,
)

human_message_prompt = HumanMessagePromptTemplate(
    prompt=PromptTemplate(
        template="What is a good name for a company that makes {product}?",
        input_variables=["product"],
    )
)
chat_prompt_template = ChatPromptTemplate.from_messages([human_message_prompt])
chat = ChatOpenAI(temperature=0.9)
chain = LLMChain(llm=chat, prompt=chat_prompt_template)
chat_run = chain.run("colorful socks")
print(chat_run)

# %%
from aiochain.prompts.chat import SystemMessagePromptTemplate

template = "You are a helpful assistant that translates {input_language} to {output_language}."
system_message_prompt = SystemMessagePromptTemplate.from_template(template)
human_template = "{text}"
human_message_prompt = HumanMessagePromptTemplate.from_template(human_template)
chat_prompt = ChatPromptTemplate.from_messages([system_message_prompt, human_message_prompt])

formatted_messages = chat_prompt.format_prompt(
    input_language="English", output_language="French", text="I love programming."
).to_messages()

chain = LLMChain(llm=chat, prompt=chat_prompt)
translated = chain.run(input_language="English", output_language="French", text="I love programming.")
