"""Extraction: real unpackers (:mod:`.unpacker`), run as killable processes (:mod:`.process`),
held to the extraction models (:mod:`.conformance`)."""
