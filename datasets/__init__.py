"""Bundled data files of churnsurv (installed as ``churnsurv._data``); see README.md here."""
