"""The old name of the analysis that the package concbench/ holds now:
everything it had, re-exported for the programs that still import it."""

from concbench.rules import *  # noqa: F401,F403
from concbench.stats import *  # noqa: F401,F403
from concbench.names import *  # noqa: F401,F403
from concbench.load import *  # noqa: F401,F403
from concbench.cli import *  # noqa: F401,F403
from concbench.context import *  # noqa: F401,F403
from concbench.pairing import *  # noqa: F401,F403
from concbench.speedups import *  # noqa: F401,F403
from concbench.verdicts import *  # noqa: F401,F403
from concbench.steadiness import *  # noqa: F401,F403
from concbench.analysis import *  # noqa: F401,F403
from concbench import answer as cbanswer, rules  # noqa: F401
