"""One module per ``kg`` command, each imported only when its command runs (see
:mod:`kg.cli`)."""
