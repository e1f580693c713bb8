# Source: https://python.langchain.com/docs/concepts/retrievers/ / the Document docstring in
#   langchain_core/documents/base.py and the stuff-documents tutorial
#   (https://python.langchain.com/docs/tutorials/summarization/)
# Changes: imports only.
# %%
from aiochain.documents import Document

document = Document(
    page_content="Hello, world!",
    metadata={"source": "https://example.com"}
)

# %%
documents = [
    Document(
        page_content="Dogs are great companions, known for their loyalty and friendliness.",
        metadata={"source": "mammal-pets-doc"},
    ),
    Document(
        page_content="Cats are independent pets that often enjoy their own space.",
        metadata={"source": "mammal-pets-doc"},
    ),
]

# %%
from aiochain.chains.combine_documents import create_stuff_documents_chain
from aiochain.prompts import ChatPromptTemplate
from aiochain.chat_models import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini")

# Define prompt
prompt = ChatPromptTemplate.from_messages(
    [("system", "Write a concise summary of the following:\\n\\n{context}")]
)

# Instantiate chain
chain = create_stuff_documents_chain(llm, prompt)

# Invoke chain
result = chain.invoke({"context": documents})
print(result)

# %%
streamed = []
for token in chain.stream({"context": documents}):
    streamed.append(token)
    print(token, end="|")
