"""Device identifiers are remembered per distinct device (a sync asks for them for every
finding on the device): callers still get their own list, and the same answer. The store
looks identifiers up one kind at a time, in chunks: every one of them must be found."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.grc import assets, models
from aria.grc.store import Source, upsert
from aria.sdk import Asset, Finding
from aria.sdk.records import AssetRef


def test_each_call_gets_its_own_list() -> None:
    ref = AssetRef(hostname="WEB01", domain="corp.example", agent_id="{ABC}")
    first = ref.identifiers()
    first.append(("mac", "aa:bb:cc:dd:ee:ff"))
    assert ref.identifiers() == [("agent", "abc"), ("hostname", "web01.corp.example")]
    assert ref.key() == "agent:abc"


def test_same_device_same_identifiers_from_a_reference_and_an_inventory_record() -> None:
    ref = AssetRef(hostname="db01", mac="AA-BB-CC-DD-EE-FF", serial="SN1")
    asset = Asset(source_uid="d-1", hostname="db01", macs=["aa:bb:cc:dd:ee:ff"], serial="SN1")
    expected = [("serial", "SN1"), ("mac", "aa:bb:cc:dd:ee:ff"), ("hostname", "db01")]
    assert ref.identifiers() == asset.identifiers() == expected


def test_placeholders_are_still_skipped() -> None:
    ref = AssetRef(hostname="localhost", mac="00:00:00:00:00:00", serial="To Be Filled By O.E.M.")
    assert ref.identifiers() == []
    assert ref.key() == ""


def test_findings_find_their_devices_across_kinds_and_chunks(
    session: Session, source: Source
) -> None:
    devices = assets.CHUNK + 30  # more identifiers of each kind than one lookup takes
    inventory = [
        Asset(uid=f"d{i}", hostname=f"host{i}", agent_id=f"agent-{i}", serial=f"SN{i}")
        for i in range(devices)
    ]
    upsert(session, source=source, stream="devices", records=inventory)
    by_serial = {
        serial: asset_id
        for serial, asset_id in session.execute(
            select(models.AssetIdentifier.value, models.AssetIdentifier.asset_id).where(
                models.AssetIdentifier.kind == "serial"
            )
        )
    }
    # Each finding names its device by a different kind of identifier.
    refs = ({"hostname": "host{}"}, {"agent_id": "agent-{}"}, {"serial": "SN{}"})
    findings = [
        Finding.detection(
            uid=f"f{i}",
            severity="high",
            asset={key: spelling.format(i) for key, spelling in refs[i % 3].items()},
        )
        for i in range(devices)
    ]
    upsert(session, source=source, stream="alerts", records=findings)
    assert session.scalar(select(func.count()).select_from(models.Asset)) == devices
    rows = session.execute(select(models.Finding.uid, models.Finding.asset_id))
    linked = {uid: asset_id for uid, asset_id in rows}
    assert linked == {f"f{i}": by_serial[f"SN{i}"] for i in range(devices)}


def test_new_assets_of_one_page_each_get_their_own_row(session: Session, source: Source) -> None:
    # Devices named only by agent id make identical asset rows; named by host, distinct ones.
    refs = [{"agent_id": f"agent-{i}"} for i in range(5)]
    refs += [{"hostname": f"host{i}", "os": f"os{i % 2}"} for i in range(5)]
    findings = [
        Finding.detection(uid=f"f{i}", severity="high", asset=ref) for i, ref in enumerate(refs)
    ]
    upsert(session, source=source, stream="alerts", records=findings)
    assert session.scalar(select(func.count()).select_from(models.Asset)) == len(refs)
    owners = session.execute(
        select(models.AssetIdentifier.value, models.Asset.hostname, models.Asset.id).join(
            models.Asset, models.Asset.id == models.AssetIdentifier.asset_id
        )
    ).all()
    assert len({asset_id for _value, _host, asset_id in owners}) == len(refs)
    assert all(host == value for value, host, _id in owners if value.startswith("host"))
    rows = session.execute(select(models.Finding.uid, models.Finding.asset_id))
    linked = {uid: asset_id for uid, asset_id in rows}
    by_value = {value: asset_id for value, _host, asset_id in owners}
    expected = {f"f{i}": by_value[next(iter(ref.values()))] for i, ref in enumerate(refs)}
    assert linked == expected
