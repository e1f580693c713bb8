# Source: https://python.langchain.com/docs/how_to/parallel/
# Changes: imports only.
# %%
from aiochain.vectorstores import InMemoryVectorStore
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.runnables import RunnablePassthrough
from aiochain.chat_models import ChatOpenAI
from aiochain.embeddings import OpenAIEmbeddings

vectorstore = InMemoryVectorStore.from_texts(
    ["harrison worked at kensho"], embedding=OpenAIEmbeddings()
)
retriever = vectorstore.as_retriever()
template = """Answer the question based only on the following context:
{context}

Question: {question}
"""

# The prompt expects input with keys for "context" and "question"
prompt = ChatPromptTemplate.from_template(template)

model = ChatOpenAI()

retrieval_chain = (
    {"context": retriever, "question": RunnablePassthrough()}
    | prompt
    | model
    | StrOutputParser()
)

retrieved = retrieval_chain.invoke("where did harrison work?")

# %%
from operator import itemgetter

template = """Answer the question based only on the following context:
{context}

Question: {question}

Answer in the following language: {language}
"""
prompt = ChatPromptTemplate.from_template(template)

chain = (
    {
        "context": itemgetter("question") | retriever,
        "question": itemgetter("question"),
        "language": itemgetter("language"),
    }
    | prompt
    | model
    | StrOutputParser()
)

in_italian = chain.invoke({"question": "where did harrison work", "language": "italian"})

# %%
from aiochain.runnables import RunnableParallel

model = ChatOpenAI()
joke_chain = ChatPromptTemplate.from_template("tell me a joke about {topic}") | model
poem_chain = (
    ChatPromptTemplate.from_template("write a 2-line poem about {topic}") | model
)

map_chain = RunnableParallel(joke=joke_chain, poem=poem_chain)

mapped = map_chain.invoke({"topic": "bear"})
