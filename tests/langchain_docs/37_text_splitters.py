# Source: https://python.langchain.com/docs/how_to/recursive_text_splitter/ and
#   https://python.langchain.com/docs/how_to/character_text_splitter/ and (last cells)
#   https://python.langchain.com/docs/how_to/code_splitter/
# Changes: imports only; the pages load "state_of_the_union.txt", a file that is not
#   shipped with them, so a few paragraphs stand in for it (written to that file name).
# %%
from pathlib import Path
import tempfile

_dir = Path(tempfile.mkdtemp())
Path(_dir / "state_of_the_union.txt").write_text(
    "Madam Speaker, Madam Vice President, our First Lady and Second Gentleman. "
    "Members of Congress and the Cabinet. Justices of the Supreme Court. "
    "My fellow Americans.\n\n"
    "Last year COVID-19 kept us apart. This year we are finally together again.\n\n"
    "Tonight, we meet as Democrats Republicans and Independents. But most importantly "
    "as Americans.\n\n"
    "With a duty to one another to the American people to the Constitution.\n\n" * 20
)

# %%
from aiochain.text_splitter import RecursiveCharacterTextSplitter

# Load example document
with open(_dir / "state_of_the_union.txt") as f:
    state_of_the_union = f.read()

text_splitter = RecursiveCharacterTextSplitter(
    # Set a really small chunk size, just to show.
    chunk_size=100,
    chunk_overlap=20,
    length_function=len,
    is_separator_regex=False,
)
texts = text_splitter.create_documents([state_of_the_union])
print(texts[0])
print(texts[1])

# %%
recursive_texts = text_splitter.split_text(state_of_the_union)[:2]

# %%
from aiochain.text_splitter import CharacterTextSplitter

text_splitter = CharacterTextSplitter(
    separator="\n\n",
    chunk_size=1000,
    chunk_overlap=200,
    length_function=len,
    is_separator_regex=False,
)
char_texts = text_splitter.create_documents([state_of_the_union])
print(char_texts[0])

# %%
metadatas = [{"document": 1}, {"document": 2}]
documents = text_splitter.create_documents(
    [state_of_the_union, state_of_the_union], metadatas=metadatas
)
print(documents[0])

# %%
split_strings = text_splitter.split_text(state_of_the_union)[0]

# %%
# From https://python.langchain.com/docs/how_to/code_splitter/, imports only changed.
from aiochain.text_splitter import (
    Language,
    RecursiveCharacterTextSplitter,
)

# Full list of supported languages
languages = [e.value for e in Language]

# %%
PYTHON_CODE = """
def hello_world():
    print("Hello, World!")

# Call the function
hello_world()
"""
python_splitter = RecursiveCharacterTextSplitter.from_language(
    language=Language.PYTHON, chunk_size=50, chunk_overlap=0
)
python_docs = python_splitter.create_documents([PYTHON_CODE])
python_docs

# %%
JS_CODE = """
function helloWorld() {
  console.log("Hello, World!");
}

// Call the function
helloWorld();
"""

js_splitter = RecursiveCharacterTextSplitter.from_language(
    language=Language.JS, chunk_size=60, chunk_overlap=0
)
js_docs = js_splitter.create_documents([JS_CODE])
js_docs
