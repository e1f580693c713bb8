"""InMemoryVectorStore, its retriever and create_retrieval_chain; LangChain's vector store and
RAG tutorial programs run with only their imports changed, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from aiochain.chains import create_retrieval_chain, create_stuff_documents_chain
from aiochain.chat_models import ChatOpenAI
from aiochain.documents import Document
from aiochain.embeddings import OpenAIEmbeddings
from aiochain.output_parsers import StrOutputParser
from aiochain.prompts import ChatPromptTemplate
from aiochain.retrievers import BaseRetriever
from aiochain.runnables import RunnablePassthrough, chain
from aiochain.sim import SimServer
from aiochain.text_splitter import RecursiveCharacterTextSplitter
from aiochain.vectorstores import InMemoryVectorStore

PETS = [
    Document(
        page_content="Dogs are great companions, known for their loyalty and friendliness.",
        metadata={"source": "mammal-pets-doc"},
    ),
    Document(
        page_content="Cats are independent pets that often enjoy their own space.",
        metadata={"source": "mammal-pets-doc"},
    ),
    Document(
        page_content="Goldfish are popular pets for beginners, requiring relatively simple care.",
        metadata={"source": "fish-pets-doc"},
    ),
    Document(
        page_content="Parrots are intelligent birds capable of mimicking human speech.",
        metadata={"source": "bird-pets-doc"},
    ),
    Document(
        page_content="Rabbits are social animals that need plenty of space to hop around.",
        metadata={"source": "mammal-pets-doc"},
    ),
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A simulator in a thread, for the tutorials' sync code."""
    with SimServer().serve_in_thread() as url:
        yield url


def test_vector_store_tutorial(base_url: str) -> None:
    """LangChain's vector store tutorial, imports changed, finds the right documents."""
    embeddings = OpenAIEmbeddings(model="text-embedding-3-large", base_url=base_url)
    vector_1 = embeddings.embed_query(PETS[0].page_content)
    vector_2 = embeddings.embed_query(PETS[1].page_content)
    assert len(vector_1) == len(vector_2) == 3072

    vector_store = InMemoryVectorStore(embeddings)
    ids = vector_store.add_documents(documents=PETS)
    assert len(ids) == 5 and len(set(ids)) == 5

    results = vector_store.similarity_search("Which pets enjoy their own space? cats")
    assert results[0].page_content.startswith("Cats are independent")
    assert results[0].id in ids and len(results) == 4

    results = asyncio.run(vector_store.asimilarity_search("parrots mimicking speech"))
    assert results[0].metadata == {"source": "bird-pets-doc"}

    doc, score = vector_store.similarity_search_with_score("dogs loyalty")[0]
    assert doc.page_content.startswith("Dogs") and 0.0 < score <= 1.0

    embedding = embeddings.embed_query("goldfish care for beginners")
    assert vector_store.similarity_search_by_vector(embedding)[0].metadata["source"] == (
        "fish-pets-doc"
    )

    @chain
    def retriever(query: str) -> list[Document]:
        return vector_store.similarity_search(query, k=1)

    found = retriever.batch(["cats", "rabbits hop"])
    assert [docs[0].page_content.split()[0] for docs in found] == ["Cats", "Rabbits"]

    retriever2 = vector_store.as_retriever(search_type="similarity", search_kwargs={"k": 1})
    found = retriever2.batch(["cats", "rabbits hop"])
    assert [len(docs) for docs in found] == [1, 1]
    assert found[1][0].page_content.startswith("Rabbits")


def test_rag_tutorial_with_create_retrieval_chain(base_url: str) -> None:
    """The RAG tutorial: split, index, retrieve, answer; the answer carries its context."""
    text = "\n\n".join(d.page_content for d in PETS) + (
        "\n\nTask decomposition breaks a hard task into smaller steps. "
        "Chain of thought prompting asks the model to think step by step."
    )
    docs = [Document(page_content=text, metadata={"source": "blog"})]
    text_splitter = RecursiveCharacterTextSplitter(chunk_size=120, chunk_overlap=20)
    splits = text_splitter.split_documents(docs)
    vectorstore = InMemoryVectorStore.from_documents(
        documents=splits, embedding=OpenAIEmbeddings(base_url=base_url)
    )
    retriever = vectorstore.as_retriever(search_kwargs={"k": 2})
    llm = ChatOpenAI(model="gpt-4o-mini", base_url=base_url)

    system_prompt = (
        "You are an assistant for question-answering tasks. "
        "Use the following pieces of retrieved context to answer "
        "the question. If you don't know the answer, say that you "
        "don't know. Use three sentences maximum and keep the "
        "answer concise."
        "\n\n"
        "{context}"
    )
    prompt = ChatPromptTemplate.from_messages([("system", system_prompt), ("human", "{input}")])
    question_answer_chain = create_stuff_documents_chain(llm, prompt)
    rag_chain = create_retrieval_chain(retriever, question_answer_chain)

    response = rag_chain.invoke({"input": "What is Task Decomposition?"})
    assert set(response) == {"input", "context", "answer"}
    assert isinstance(response["answer"], str) and response["answer"]
    assert len(response["context"]) == 2
    assert any("Task decomposition" in d.page_content for d in response["context"])

    def format_docs(docs: list[Document]) -> str:
        return "\n\n".join(doc.page_content for doc in docs)

    lcel_prompt = ChatPromptTemplate.from_template("Context: {context}\n\nQuestion: {question}")
    rag_lcel = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | lcel_prompt
        | llm
        | StrOutputParser()
    )
    assert rag_lcel.invoke("What is Task Decomposition?")


async def test_store_api(sim: SimServer) -> None:
    """from_texts with metadatas and ids, filter, get_by_ids, delete, mmr, score threshold."""
    async with OpenAIEmbeddings(
        model="text-embedding-3-small", base_url=sim.base_url, dimensions=256
    ) as emb:
        store = await InMemoryVectorStore.afrom_texts(
            ["red apple pie", "red apple tart", "green apple pie", "blue whale song"],
            emb,
            metadatas=[{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}],
            ids=["a", "b", "c", "d"],
        )
        hits = await store.asimilarity_search("red apple", k=2)
        assert {d.id for d in hits} == {"a", "b"}
        kept = await store.asimilarity_search(
            "red apple", k=4, filter=lambda d: d.metadata["n"] > 1
        )
        assert [d.id for d in kept] == ["c", "d"]
        assert [d.page_content for d in store.get_by_ids(["d", "x"])] == ["blue whale song"]
        diverse = await store.amax_marginal_relevance_search("red apple pie", k=2, lambda_mult=0.3)
        assert diverse[0].id == "a" and diverse[1].id != "b"
        threshold = store.as_retriever(
            search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.5}
        )
        assert "d" not in {d.id for d in await threshold.ainvoke("red apple pie")}
        store.delete(["a"])
        assert (await store.asimilarity_search("red apple pie", k=1))[0].id != "a"
        assert isinstance(store.as_retriever(), BaseRetriever)


async def test_sync_only_embeddings_work(sim: SimServer) -> None:
    """An embeddings object with only sync methods (a user's own) works in the store."""

    class Letters:
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [self.embed_query(t) for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return [float(text.count(c)) for c in "abc"]

    store = await InMemoryVectorStore.afrom_texts(["aaa", "bbb", "ccc"], Letters())
    assert (await store.asimilarity_search("b", k=1))[0].page_content == "bbb"
