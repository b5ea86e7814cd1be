"""The use cases, one module each, independent of each other: ``reconcile`` (plan, apply),
``onboard`` (export), ``compare`` (diff), ``adopt``, ``restore``, ``upgrade`` (validate
--kratos-version), ``scaffold`` (init). Each puts the shared steps in order: ``steps``,
``checking``, ``planning``, ``applying``, ``guards``, ``backups``, ``rotations``, ``messages``,
``read_only``, and export's pure transforms (``export``, ``side_files``)."""
