"""`aiochain map`: the command line, the job, its journal, inputs, outputs, progress, budget,
splitting, the Batch-API path, embeddings and the Ray backend."""
