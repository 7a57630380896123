"""The engine: paths, priority, validation with exact locations, errors, no code execution."""

from __future__ import annotations

from typing import Any

import pytest

from aria.mapping.rules import (
    MappingError,
    SpecError,
    compile_mappings,
    compile_path,
    compile_setter,
    validate_rules,
)
from aria.sdk.records import Asset, Finding, Severity
from tests.mapping.support import Spec, finding, mapped, plan


def errors_of(rules: dict[str, Any], classes: Any = (Finding,)) -> list[dict[str, str]]:
    with pytest.raises(SpecError) as caught:
        validate_rules(rules, record_classes=classes)
    return caught.value.errors


class TestPaths:
    def test_get_walks_dicts_and_lists(self) -> None:
        record = {"raw": {"hosts": [{"name": "a"}, {"name": "b"}], "@odata.type": "x"}}
        assert compile_path("raw.hosts.1.name")(record) == "b"
        assert compile_path("raw.hosts.-1.name")(record) == "b"
        assert compile_path("raw.hosts.5.name")(record) is None
        assert compile_path("raw.hosts.name", missing="?")(record) == "?"
        assert compile_path("raw.@odata.type")(record) == "x"  # dotted keys still found

    def test_set_creates_containers_and_appends(self) -> None:
        record: dict[str, Any] = {"asset": None, "info": {"attacks": []}}
        compile_setter("asset.hostname")(record, "h")
        compile_setter("info.attacks.0.technique_id")(record, "T1003")
        assert record == {
            "asset": {"hostname": "h"},
            "info": {"attacks": [{"technique_id": "T1003"}]},
        }

    def test_source_paths_read_raw_and_canonical_and_lists(self) -> None:
        record = finding(hosts=[{"name": "SRV-1.corp.example"}], tactic="TA0006 Credential Access")
        out = mapped(
            record,
            field_mappings=[
                {
                    "source": "raw.hosts.0.name",
                    "target": "asset.hostname",
                    "transforms": ["lowercase"],
                },
                {"source": "title", "target": "description"},
                {
                    "source": "raw.tactic",
                    "target": "detection_info.attacks.0.tactic_id",
                    "transforms": [{"type": "split", "separator": " ", "index": 0}],
                },
            ],
        )
        assert out is not None
        assert out.asset is not None and out.asset.hostname == "srv-1.corp.example"
        assert out.description == "Credential dumping"
        assert out.detection_info is not None
        assert out.detection_info.attacks[0].tactic_id == "TA0006"

    def test_missing_source_skips_unless_a_default_supplies_it(self) -> None:
        record = finding()
        rules = [
            {"source": "raw.no_such_field", "target": "description"},
            {
                "source": "raw.product",
                "target": "source_product",
                "transforms": [{"type": "default", "value": "Acme EDR"}],
            },
            {"target": "source_vendor", "transforms": [{"type": "default", "value": "Acme"}]},
        ]
        out = mapped(record, field_mappings=rules)
        assert out is not None
        assert out.description is None
        assert (out.source_product, out.source_vendor) == ("Acme EDR", "Acme")

    def test_transformations_rewrite_in_place(self) -> None:
        out = mapped(
            finding(name="  Credential dumping  "),
            transformations=[{"field": "title", "transforms": ["strip", "uppercase"]}],
        )
        assert out is not None and out.title == "CREDENTIAL DUMPING"


class TestPlan:
    def test_empty_plan_is_identity(self) -> None:
        record = finding()
        runner = compile_mappings([])
        assert runner.apply(record) is record
        assert runner.stats.applied == 1

    def test_rules_that_change_nothing_return_the_same_record(self) -> None:
        record = finding()
        out = mapped(record, field_mappings=[{"source": "raw.name", "target": "title"}])
        assert out is record

    def test_priority_ascending_and_inactive_skipped(self) -> None:
        # Each mapping appends its letter to the description: order shows in the result.
        def appender(name: str, priority: int, letter: str, active: bool = True) -> Spec:
            return Spec(
                name=name,
                priority=priority,
                is_active=active,
                field_mappings=[
                    {
                        "source": "description",
                        "target": "description",
                        "transforms": [
                            {"type": "default", "value": ""},
                            {
                                "type": "concatenate",
                                "sources": [f"raw.letters.{letter}"],
                                "separator": "",
                            },
                        ],
                    }
                ],
            )

        record = finding(letters={"a": "A", "b": "B", "c": "C", "d": "D"})
        runner = plan(
            appender("third", 30, "c"),
            appender("first", 10, "a"),
            appender("off", 5, "d", active=False),
            appender("second", 20, "b"),
        )
        assert [m.name for m in runner.mappings] == ["first", "second", "third"]
        out = runner.apply(record)
        assert out is not None and out.description == "ABC"

    def test_later_mappings_see_earlier_results_validated(self) -> None:
        to_critical = Spec(
            name="sev",
            priority=1,
            field_mappings=[
                {"target": "severity", "transforms": [{"type": "default", "value": "critical"}]}
            ],
        )
        only_critical = Spec(
            name="keep critical",
            priority=2,
            filter_rules={"field": "severity", "op": "eq", "value": 5},
        )
        out = plan(to_critical, only_critical).apply(finding(severity="low"))
        assert out is not None and out.severity is Severity.CRITICAL

    def test_an_invalid_result_is_an_error_not_a_drop(self) -> None:
        record = finding()
        runner = plan(
            Spec(
                name="bad",
                field_mappings=[{"source": "raw.name", "target": "detection_info.confidence"}],
            )
        )
        with pytest.raises(MappingError) as caught:
            runner.apply(record)
        error = caught.value
        assert error.mapping == "bad" and error.record is record
        assert "detection_info.confidence" in str(error) and record.source_uid in str(error)
        assert runner.stats.errors == 1 and runner.stats.dropped == 0
        assert runner.stats.as_dict()["error_samples"] == [str(error)]

    def test_a_transform_failure_names_the_rule(self) -> None:
        runner = plan(
            Spec(
                name="ints",
                field_mappings=[
                    {
                        "source": "raw.name",
                        "target": "detection_info.confidence",
                        "transforms": ["to_int"],
                    }
                ],
            )
        )
        with pytest.raises(MappingError, match=r"field_mappings\[0\]\.transforms\[0\] \(to_int\)"):
            runner.apply(finding())

    def test_apply_all_collects(self) -> None:
        runner = plan(
            Spec(
                name="m",
                filter_rules={"not": {"field": "raw.severity", "op": "eq", "value": "low"}},
                field_mappings=[
                    {
                        "source": "raw.conf",
                        "target": "detection_info.confidence",
                        "transforms": ["to_int"],
                    }
                ],
            )
        )
        batch = runner.apply_all([finding(conf="80"), finding(severity="low"), finding(conf="x")])
        assert len(batch.records) == 1 and batch.records[0].detection_info.confidence == 80  # type: ignore[union-attr]
        assert batch.dropped == 1 and len(batch.errors) == 1
        assert runner.stats.as_dict()["seen"] == 3

    def test_asset_records(self) -> None:
        device = Asset(
            uid="d1", hostname="WS-1", raw={"owner": "alice@example.com", "crit": "HIGH"}
        )
        runner = compile_mappings(
            [
                Spec(
                    field_mappings=[
                        {"source": "raw.owner", "target": "owner"},
                        {"source": "raw.crit", "target": "criticality"},
                    ]
                )
            ],
            record_classes=[Asset],
        )
        out = runner.apply(device)
        assert (
            isinstance(out, Asset)
            and out.owner == "alice@example.com"
            and out.criticality == "high"
        )


class TestValidation:
    def test_exact_locations(self) -> None:
        problems = errors_of(
            {
                "field_mappings": [
                    {"source": "raw.a", "target": "title"},
                    {"source": "raw.b", "target": "asset.hostnme"},
                    {
                        "source": "raw.c",
                        "target": "severity",
                        "transforms": [
                            "lowercase",
                            {"type": "value_map", "map": ["not", "a", "dict"]},
                        ],
                    },
                ],
                "transformations": [{"field": "title", "transforms": [{"type": "nope"}]}],
                "filter_rules": {
                    "all": [
                        {"field": "raw.x", "op": "in", "value": "x"},
                        {"not": {"field": "raw.y", "op": "like"}},
                    ]
                },
            }
        )
        fields = {p["field"] for p in problems}
        assert fields == {
            "field_mappings[2].transforms[1].map",
            "transformations[0].transforms[0]",
            "filter_rules.all[0].value",
            "filter_rules.all[1].not.op",
        }
        unknown = next(p for p in problems if p["field"] == "transformations[0].transforms[0]")
        assert "unknown transform 'nope'" in unknown["message"]
        # path problems are reported once the shapes are right
        paths = errors_of(
            {
                "field_mappings": [
                    {"source": "raw.b", "target": "asset.hostnme"},
                    {"source": "titel", "target": "title"},
                ]
            }
        )
        assert [p["field"] for p in paths] == [
            "field_mappings[0].target",
            "field_mappings[1].source",
        ]
        assert "'hostnme' is not a field under asset" in paths[0]["message"]

    @pytest.mark.parametrize(
        ("target", "why"),
        [
            ("raw.severity", "cannot be written"),
            ("record_type", "cannot be written"),
            ("detection_info.attacks.technique_id", "is a list"),
            ("title.first", "single value"),
            ("hostname", "not a field"),  # an Asset field, not a Finding one
        ],
    )
    def test_bad_targets(self, target: str, why: str) -> None:
        [problem] = errors_of({"field_mappings": [{"source": "raw.x", "target": target}]})
        assert problem["field"] == "field_mappings[0].target" and why in problem["message"]

    def test_good_nested_targets(self) -> None:
        validate_rules(
            {
                "field_mappings": [
                    {"source": "raw.a", "target": t}
                    for t in (
                        "asset.hostname",
                        "detection_info.confidence",
                        "detection_info.attacks.0.technique_id",
                        "severity",
                        "vulnerability_info.cvss_score",
                    )
                ]
            },
            record_classes=[Finding],
        )

    def test_more_shapes(self) -> None:
        assert errors_of({"field_mappings": [{"target": "title"}]}) == [
            {
                "field": "field_mappings[0].source",
                "message": "required unless a default or concatenate supplies it",
            }
        ]
        [group] = errors_of(
            {
                "field_mappings": [
                    {
                        "source": "raw.a",
                        "target": "title",
                        "transforms": [{"type": "regex_extract", "pattern": "(a)", "group": 2}],
                    }
                ]
            }
        )
        assert group["field"] == "field_mappings[0].transforms[0].group"
        [redos] = errors_of({"filter_rules": {"field": "raw.a", "op": "regex", "value": "(a+)+$"}})
        assert redos["field"] == "filter_rules.value" and "nested quantifiers" in redos["message"]
        [extra] = errors_of(
            {"field_mappings": [{"source": "raw.a", "target": "title", "script": "x"}]}
        )
        assert extra["field"] == "field_mappings[0].script"
        [empty] = errors_of({"field_mappings": [{"source": "raw..a", "target": "title"}]})
        assert empty["field"] == "field_mappings[0].source"
        deep: dict[str, Any] = {"field": "raw.a", "op": "exists"}
        for _ in range(10):
            deep = {"not": deep}
        [too_deep] = errors_of({"filter_rules": deep})
        assert too_deep["field"] == "filter_rules" and "levels deep" in too_deep["message"]

    def test_stored_mapping_errors_name_the_mapping(self) -> None:
        with pytest.raises(SpecError, match="mapping 'broken': field_mappings"):
            compile_mappings([Spec(name="broken", field_mappings=[{"source": "raw.a"}])])


class TestNoCodeExecution:
    PAYLOADS = (
        "__import__('os').system('touch /tmp/aria-pwned')",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "${7*7}",
        "lambda: 1",
    )

    @pytest.mark.parametrize("payload", PAYLOADS)
    def test_strings_are_data(self, payload: str) -> None:
        record = finding(name=payload)
        out = mapped(
            record,
            field_mappings=[
                {
                    "source": "raw.name",
                    "target": "description",
                    "transforms": [
                        {"type": "value_map", "map": {payload: payload}, "default": payload}
                    ],
                },
                {"target": "source_product", "transforms": [{"type": "default", "value": payload}]},
                {
                    "source": "raw.name",
                    "target": "title",
                    "transforms": [
                        {"type": "concatenate", "sources": ["raw.name"], "separator": payload[:20]}
                    ],
                },
            ],
            filter_rules={"field": "raw.name", "op": "eq", "value": payload},
        )
        assert out is not None
        assert out.description == payload and out.source_product == payload
        assert out.title == f"{payload}{payload[:20]}{payload}"

    @pytest.mark.parametrize(
        "path", ["raw.__class__", "__class__.__init__.__globals__", "raw.__dict__", "model_config"]
    )
    def test_paths_never_reach_python_attributes(self, path: str) -> None:
        get = compile_path(path, missing="missing")
        assert get(finding().model_dump()) == "missing"
        problems = errors_of({"field_mappings": [{"source": "raw.a", "target": path}]})
        assert problems and problems[0]["field"] == "field_mappings[0].target"

    def test_unknown_transform_names_are_refused(self) -> None:
        for name in ("eval", "exec", "__import__", "template", "jinja"):
            [problem] = errors_of(
                {"field_mappings": [{"source": "raw.a", "target": "title", "transforms": [name]}]}
            )
            assert f"unknown transform {name!r}" in problem["message"]
