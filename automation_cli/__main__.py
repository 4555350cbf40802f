"""`python -m automation_cli` runs the same command as the installed `automation` script."""

from automation_cli.app import main

main()
