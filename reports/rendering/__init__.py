"""Rendering: the analysis written as files (CSV, Markdown, PNG, HTML) and terminal text; imports
only the analysis and loading layers."""
