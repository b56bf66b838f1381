"""`python -m contacthub` runs the CLI."""

from contacthub.cli.main import main

main()
