"""`python -m kflow`: the same as the `kflow` command."""

from kflow.cli import main

raise SystemExit(main())
