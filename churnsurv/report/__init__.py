"""``churnsurv report``: the command line, the papermill runner and the template notebook.

Nothing in the library imports this package; only the console script
(:mod:`churnsurv.report.cli`) and the report template do.
"""
