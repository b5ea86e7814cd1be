"""``python -m reconciler.ci``: what action.yml and the GitLab template run."""

from reconciler.ci.action import main

raise SystemExit(main())
