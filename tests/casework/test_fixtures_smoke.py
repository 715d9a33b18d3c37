def test_the_shared_world_is_an_allocated_case_led_by_the_key_worker(casework_world):
    case = casework_world["case"]
    assert case.state == "allocated"
    assert case.lead_practitioner == casework_world["users"]["key-worker"]
    assert case.team == casework_world["team"]
