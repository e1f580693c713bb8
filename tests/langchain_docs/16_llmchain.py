# Source: https://python.langchain.com/v0.1/docs/modules/chains/foundational/llm_chain/ (the
#   classic LLMChain guide: run, __call__, apply, generate, predict) and the LLMChain docstring
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
