"""``o2c demo``: build the world, run it through the real pipeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from o2c.adapters.runtime_parts import SeededIds, SimClock
from o2c.bootstrap import App, bootstrap
from o2c.sim.people import add_demo_users
from o2c.sim.run import SimStats, Simulation
from o2c.sim.world import generate

DEFAULT_START = date(2026, 1, 5)  # a Monday


def run_demo(*, days: int, seed: int, db: str | None, start: date = DEFAULT_START,
             customers: int = 220, products: int = 1100,
             progress: Callable[[int, SimStats], None] | None = None,
             recorded_clock: Callable[[], datetime] | None = None) -> tuple[App, SimStats, datetime,
                                                                             datetime]:
    """Simulate ``days`` days from ``start``, its people acting as the demo users it creates;
    returns the app (still open), the statistics, and the simulated period (start, end)."""
    begin = datetime.combine(start, time(0), tzinfo=UTC)
    clock = SimClock(begin - timedelta(days=1))
    world = generate(seed, customers=customers, products=products, start=start)
    app = bootstrap(db, clock=clock, ids=SeededIds(seed), recorded_clock=recorded_clock,
                    integrations=Simulation.configuration(world))
    sim = Simulation(app, clock, world, seed=seed, start=start)
    sim.setup()
    add_demo_users(app.store, seed, clock.now())
    stats = sim.run(days, progress)
    return app, stats, begin, begin + timedelta(days=days)
