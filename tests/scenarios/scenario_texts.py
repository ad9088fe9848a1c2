"""Scenario text the scenario tests build their files from."""

INITIATE_STEP = """\
[[steps]]
name = "create"
action = "initiate"
[steps.body.order]
external_id = "qa-${uuid}"
country = "GB"
source = "scenario"
order_type = "new"
[[steps.body.order.orderItems]]
offer = { name = "Digital Monthly" }
quantity = 2
"""
