"""Rendering: the analysis written as files (CSV, Markdown, PNG, HTML) and terminal text."""
