"""Segment commit: a real broker (:mod:`.broker`) uploading to a store on local disk that can
fail requests (:mod:`.store`), held to the segment-commit models (:mod:`.conformance`)."""
