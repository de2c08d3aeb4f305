"""Retrieval store restricted to the loaded records."""
from tools.retrieval.scope import Scope, judge_scope
from tools.retrieval.store import Hit, Passage, RecordStore, SearchResult, record_name
from tools.retrieval.tokens import tokenize

__all__ = ["Hit", "Passage", "RecordStore", "Scope", "SearchResult", "judge_scope", "record_name", "tokenize"]
