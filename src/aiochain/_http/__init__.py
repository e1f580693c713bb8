"""HTTP to one model server: the endpoint setup, the transport, errors and key
redaction, bounded bodies, and server-sent events."""
