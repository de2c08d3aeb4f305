"""Everything the command line draws with rich: answers, turns, demos, analyses, reports, progress."""
