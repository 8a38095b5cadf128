import sys

from bedboard.cli import main

sys.exit(main())
