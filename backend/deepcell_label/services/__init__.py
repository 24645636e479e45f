"""Use cases: open a project, apply an edit, undo, export, build. Each owns its transactions."""
