"""Load, validate, render: an environment file and its layers read with the file, line and
column of every value (``loader``), checked against the environment file's schema
(``validate``), and rendered into the identity config to send (``render``)."""
