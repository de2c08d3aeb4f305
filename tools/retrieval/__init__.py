"""Retrieval restricted to the loaded records: ranked records and facts, names and acronyms, scope."""
from tools.retrieval.lexicon import Lexicon
from tools.retrieval.plain import plain_question
from tools.retrieval.scope import Scope, judge_scope
from tools.retrieval.store import Hit, Passage, RecordStore, SearchResult, record_name, store_for, strong_cues
from tools.retrieval.tokens import tokenize

__all__ = ["Hit", "Lexicon", "Passage", "RecordStore", "Scope", "SearchResult", "judge_scope", "plain_question",
           "record_name", "store_for", "strong_cues", "tokenize"]
