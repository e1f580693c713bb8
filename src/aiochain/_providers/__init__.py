"""The model clients and their providers' wire formats: what every model shares
(`model_client`, `model_calls`, `model_stream`), OpenAI (chat, completions, responses),
Azure OpenAI, Anthropic, Gemini and the embedding requests."""
