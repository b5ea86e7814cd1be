"""What the GitHub Action (``action.yml``) and the GitLab CI template run: ``python -m
reconciler.ci`` plans pull requests, routes merged changes to approval environments and applies
the reviewed plan. Kept out of the core: it drives the ``reconciler`` command like a user."""
