#!/usr/bin/env python
"""Django's command-line utility; `fabreck` (the console command) does the same and more."""

from fabreck.__main__ import main

if __name__ == "__main__":
    main()
