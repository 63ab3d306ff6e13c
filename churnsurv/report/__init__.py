"""``churnsurv report``: the command line, the papermill runner, its IO helpers and the template.

Nothing in the library imports this package; only the console script
(:mod:`churnsurv.report.cli`) and the report template (which imports
:mod:`churnsurv.report.io`) do.
"""
