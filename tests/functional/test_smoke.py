from tests.conftest import run_body


def test_walkthrough(api):
    maria = {"name": "Maria", "email": "maria@example.com", "role": "owner"}
    assert api.put("/api/v1/members/maria", maria).status == 201
    assert api.put("/api/v1/tasks/t1", {"title": "Invoices", "assignee_id": "maria", "status": "open"}).status == 201
    answer = api.post("/api/v1/runs", run_body("r1"))
    assert answer.status == 201, answer.body
    assert api.post("/api/v1/runs", run_body("r1")).status == 200
    assert api.get("/api/v1/runs/r1").body["cost_usd"] == "1.000000"
    page = api.get("/api/v1/runs?limit=10")
    assert page.status == 200, page.body
    assert [r["run_id"] for r in page.body["runs"]] == ["r1"]
