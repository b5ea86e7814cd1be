"""``python -m reconciler.ci``: what action.yml and the GitLab template run."""

import faulthandler

from reconciler.ci.action import main

faulthandler.enable()  # as the console script: a stack for any native crash (issue 21)
raise SystemExit(main())
