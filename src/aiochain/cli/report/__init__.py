"""`aiochain report`: a map journal as numbers, and as one self-contained HTML page."""
