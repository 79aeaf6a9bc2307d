"""Admission (contract §5): reservations under today's cap, concurrency, expiry, release by the run."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from chalicelib import models, timeutil
from chalicelib.errors import Conflict, LoopDeskError
from chalicelib.ingest.admission import RESERVATION_TTL, admit
from tests.conftest import run_body
from tests.functional.conftest_governance import connections, deliver, minutes_ago, open_workspace

pytest_plugins = ["tests.functional.conftest_governance"]


def estimate(usd: str) -> models.AdmitRequest:
    return models.AdmitRequest(estimated_cost_usd=usd)


@pytest.fixture
def api_with_cap(admin, chalice_client):
    """A workspace with a $10 daily cap."""
    return open_workspace(admin, chalice_client, daily_cap_usd="10.000000")[1]


def test_fifty_concurrent_admissions_admit_exactly_what_the_cap_fits(store, admin, chalice_client, serialized_moto):
    # GIVEN a $10 cap, and 50 desks (each with its own connection, as Lambda containers have) ready at once
    workspace_id, api = open_workspace(admin, chalice_client, daily_cap_usd="10.000000")
    stores = connections(store, 50)
    start = threading.Barrier(len(stores))
    now = timeutil.now_utc()

    def one_desk(handle) -> str:
        start.wait()
        try:
            admit(handle, workspace_id, estimate("1.000000"), now)
        except LoopDeskError as exc:
            return exc.code
        return "admitted"

    # WHEN all 50 ask to reserve $1 at the same moment
    with ThreadPoolExecutor(len(stores)) as pool:
        answers = Counter(pool.map(one_desk, stores))

    # THEN exactly 10 are admitted, every other one gets a definite 409, and $10 is reserved
    assert answers == {"admitted": 10, "cap_would_be_exceeded": 40}
    cap = api.get("/api/v1/cost/summary").body["cap"]
    assert cap["reserved_usd"] == "10.000000"


def test_estimate_that_does_not_fit_is_refused_with_409(api_with_cap):
    # GIVEN a $10 cap
    api = api_with_cap
    # WHEN a desk asks to reserve more than the cap
    answer = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "10.000001"})
    # THEN it is refused
    assert answer.status == 409
    assert answer.body["error"]["code"] == "cap_would_be_exceeded"


def test_paused_desk_answers_423(admin, chalice_client, tap):
    # GIVEN a desk paused because a run reached its $1 cap
    _, api = open_workspace(admin, chalice_client, daily_cap_usd="1.000000")
    api.post("/api/v1/runs", run_body("r1", "1.000000", started_at=minutes_ago(1)))
    deliver(tap.take())
    # WHEN a desk asks to reserve even a cent
    answer = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "0.010000"})
    # THEN it is told that the desk is paused
    assert answer.status == 423
    assert answer.body["error"]["code"] == "desk_paused"


def test_expired_reservation_gives_its_headroom_back(store, admin, chalice_client):
    # GIVEN a $10 cap entirely reserved at 'now'
    workspace_id, _ = open_workspace(admin, chalice_client, daily_cap_usd="10.000000")
    now = timeutil.now_utc()
    admit(store, workspace_id, estimate("10.000000"), now)
    # WHEN the reservation's 15 minutes are over and another desk asks for $4
    later = now + RESERVATION_TTL + timedelta(seconds=1)
    admission = admit(store, workspace_id, estimate("4.000000"), later)
    # THEN it is admitted, with the whole cap minus its own estimate remaining
    assert admission.admitted
    assert admission.remaining_usd == 6_000_000


def test_reservation_still_holds_its_headroom_before_it_expires(store, admin, chalice_client):
    # GIVEN a $10 cap entirely reserved at 'now'
    workspace_id, _ = open_workspace(admin, chalice_client, daily_cap_usd="10.000000")
    now = timeutil.now_utc()
    admit(store, workspace_id, estimate("10.000000"), now)
    # WHEN another desk asks for $4 a second before the reservation expires
    with pytest.raises(Conflict) as refused:
        admit(store, workspace_id, estimate("4.000000"), now + RESERVATION_TTL - timedelta(seconds=1))
    # THEN it does not fit
    assert refused.value.code == "cap_would_be_exceeded"


def test_run_naming_its_reservation_releases_it(api_with_cap, tap):
    # GIVEN a $4 reservation under a $10 cap
    api = api_with_cap
    reservation = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "4.000000"}).body
    # WHEN the run that used it costs $3, names it, and the stream is delivered
    posted = api.post("/api/v1/runs", run_body("r1", "3.000000", started_at=minutes_ago(1),
                                                reservation_id=reservation["reservation_id"]))
    assert posted.status == 201, posted.body
    deliver(tap.take())
    # THEN today's spend is $3 and nothing is reserved any more
    summary = api.get("/api/v1/cost/summary").body
    assert summary["today"]["cost_usd"] == "3.000000"
    assert summary["cap"]["reserved_usd"] == "0.000000"


def test_released_reservation_leaves_room_for_exactly_the_rest_of_the_cap(api_with_cap, tap):
    # GIVEN a $4 reservation whose $3 run has been aggregated, under a $10 cap
    api = api_with_cap
    reservation = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "4.000000"}).body
    api.post("/api/v1/runs", run_body("r1", "3.000000", started_at=minutes_ago(1),
                                      reservation_id=reservation["reservation_id"]))
    deliver(tap.take())
    # WHEN a desk asks for the remaining $7, and then for one more cent
    fits = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "7.000000"})
    over = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "0.010000"})
    # THEN the $7 is admitted with nothing remaining, and the cent is not
    assert fits.status == 200, fits.body
    assert fits.body["remaining_usd"] == "0.000000"
    assert over.body["error"]["code"] == "cap_would_be_exceeded"


def test_remaining_counts_spend_and_open_reservations(api_with_cap, tap):
    # GIVEN $2.50 spent today and a $1.25 reservation open, under a $10 cap
    api = api_with_cap
    api.post("/api/v1/runs", run_body("r1", "2.500000", started_at=minutes_ago(1)))
    deliver(tap.take())
    api.post("/api/v1/runs/admit", {"estimated_cost_usd": "1.250000"})
    # WHEN a desk reserves $0.75
    answer = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "0.750000"})
    # THEN it is admitted with $5.50 remaining, and its reservation expires in 15 minutes
    assert answer.status == 200, answer.body
    assert answer.body["admitted"] is True
    assert answer.body["remaining_usd"] == "5.500000"
    expires = timeutil.parse_instant(answer.body["expires_at"])
    assert timedelta(minutes=14) < expires - timeutil.now_utc() <= RESERVATION_TTL


def test_without_a_cap_every_estimate_is_admitted_with_no_remaining_figure(admin, chalice_client):
    # GIVEN a workspace without a daily cap
    _, api = open_workspace(admin, chalice_client)
    # WHEN a desk asks to reserve the largest estimate there is
    answer = api.post("/api/v1/runs/admit", {"estimated_cost_usd": "1000000"})
    # THEN it is admitted, and remaining_usd is null
    assert answer.status == 200, answer.body
    assert answer.body["admitted"] is True and answer.body["reservation_id"]
    assert answer.body["remaining_usd"] is None
