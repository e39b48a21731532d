"""`python -m creditbank.cli`: the same command as the installed `creditbank` script."""

from creditbank.cli import main

if __name__ == "__main__":
    main()
