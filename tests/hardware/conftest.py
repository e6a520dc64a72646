import pytest

from .board_sim import BoardSimulator


@pytest.fixture(params=["pty", "socket"])
def board_sim(request):
    """A simulated lock board on a pseudo-terminal or a TCP socket; parametrize indirectly to pick one."""
    simulator = BoardSimulator(transport=request.param)
    yield simulator
    simulator.stop()
