"""Downloading job outputs: what each file is called, and the engine that fetches it."""
