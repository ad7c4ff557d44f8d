"""Requirements by hand, by template with per-site quantities, and from a requirements file.

Each test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from pathlib import Path

import pytest
from pydantic import ValidationError

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError, NotFoundError, StateConflictError
from muster.cmdb.models import Requirement
from muster.cmdb.requirements import (
    RequirementSpec,
    RequirementUpdate,
    add_requirement,
    list_requirements,
    remove_requirement,
    update_requirement,
)
from muster.cmdb.requirements_file import apply_requirements_file, load_requirements_file
from muster.cmdb.sites import get_site
from muster.cmdb.templates import (
    TemplateLineSpec,
    TemplateSpec,
    apply_template,
    list_templates,
    remove_template_from_site,
    upsert_template,
)
from tests.cmdb.helpers import add_site

ELEMENTARY = TemplateSpec(
    name="elementary",
    lines=[
        TemplateLineSpec(kind="access point", per="classroom"),
        TemplateLineSpec(kind="projector", per="classroom"),
        TemplateLineSpec(kind="workstation", per="classroom", label="classrooms"),
        TemplateLineSpec(kind="workstation", count=30, label="lab", min_memory_gb=8),
        TemplateLineSpec(kind="switch", count=2),
        TemplateLineSpec(kind="ups", count=1),
    ],
)


def _lines(database: Database, site: str | None = None) -> list[tuple[str, str, str | None, int]]:
    with database.session() as session:
        lines, _total = list_requirements(session, site=site)
        return [(r.site, r.kind, r.label, r.count) for r in lines]


def test_add_requirement_with_spec_is_listed_with_spec_in_words(database: Database) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        add_requirement(
            session,
            "lincoln-es",
            RequirementSpec.model_validate(
                {"kind": "desktop", "count": 30, "min_memory_gb": 8, "min_cores": 4,
                 "os_family": "Windows", "max_age_years": 6}
            ),
        )  # fmt: skip

    with database.session() as session:
        [line], _total = list_requirements(session)
    assert (line.site, line.kind, line.count, line.min_memory_gb, line.os_family) == (
        "lincoln-es",
        "workstation",
        30,
        8.0,
        "windows",
    )
    assert line.spec == ">= 8 GiB, >= 4 cores, windows, <= 6 years old"


def test_add_requirement_refuses_second_line_of_kind_without_label(database: Database) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        add_requirement(session, "lincoln-es", RequirementSpec(kind="ups", count=1))

    with pytest.raises(StateConflictError) as caught, database.session(writer=True) as session:
        add_requirement(session, "lincoln-es", RequirementSpec(kind="ups", count=2))

    assert str(caught.value) == (
        "site 'lincoln-es' already needs 1 ups (requirement #1): give each line of one kind "
        "its own label (--label), or remove requirement #1 first"
    )
    assert _lines(database) == [("lincoln-es", "ups", None, 1)]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "unknown", "count": 1}, "'unknown' is not a kind a site can need"),
        ({"kind": "toaster", "count": 1}, "'toaster' is not an asset kind"),
        ({"kind": "ups", "count": 0}, "greater than or equal to 1"),
        ({"kind": "ups", "count": 1, "os_family": "beos"}, "'beos' is not an OS family"),
        ({"kind": "ups", "count": 1, "min_memory_gb": -1}, "greater than 0"),
    ],
    ids=["unknown-kind", "no-such-kind", "zero-count", "no-such-os-family", "negative-memory"],
)
def test_requirement_spec_refuses_bad_values_naming_them(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        RequirementSpec.model_validate(values)

    assert message in str(caught.value)


def test_remove_requirement_of_unknown_id_says_how_to_find_ids(database: Database) -> None:
    with pytest.raises(NotFoundError) as caught, database.session(writer=True) as session:
        remove_requirement(session, 42)

    assert str(caught.value) == (
        "requirement #42 does not exist: `muster requirement list` shows them"
    )


def test_apply_template_makes_lines_from_site_quantities(database: Database) -> None:
    add_site(database, "lincoln-es")
    add_site(database, "grant-es")
    with database.session(writer=True) as session:
        upsert_template(session, ELEMENTARY)
        apply_template(session, "elementary", "lincoln-es", {"classroom": 24})
        apply_template(session, "elementary", "grant-es", {"classroom": 10})

    assert _lines(database, "lincoln-es") == [
        ("lincoln-es", "access_point", None, 24),
        ("lincoln-es", "projector", None, 24),
        ("lincoln-es", "switch", None, 2),
        ("lincoln-es", "ups", None, 1),
        ("lincoln-es", "workstation", "classrooms", 24),
        ("lincoln-es", "workstation", "lab", 30),
    ]
    assert ("grant-es", "projector", None, 10) in _lines(database, "grant-es")


def test_changing_a_template_remakes_lines_at_every_site_keeping_ids(database: Database) -> None:
    add_site(database, "lincoln-es")
    add_site(database, "grant-es")
    with database.session(writer=True) as session:
        upsert_template(session, ELEMENTARY)
        apply_template(session, "elementary", "lincoln-es", {"classroom": 24})
        apply_template(session, "elementary", "grant-es", {"classroom": 10})
        before = {(r.site, r.kind, r.label): r.id for r in list_requirements(session)[0]}
    changed = ELEMENTARY.model_copy(
        update={"lines": [*ELEMENTARY.lines[:4], TemplateLineSpec(kind="switch", count=3)]}
    )

    with database.session(writer=True) as session:
        upsert_template(session, changed)

    with database.session() as session:
        after = {(r.site, r.kind, r.label): (r.id, r.count) for r in list_requirements(session)[0]}
    assert after[("grant-es", "switch", None)] == (before[("grant-es", "switch", None)], 3)
    assert after[("lincoln-es", "switch", None)] == (before[("lincoln-es", "switch", None)], 3)
    assert ("lincoln-es", "ups", None) not in after
    assert len(after) == 10


def test_apply_template_without_quantity_names_the_unit(database: Database) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        upsert_template(session, ELEMENTARY)

    with pytest.raises(ConfigurationError) as caught, database.session(writer=True) as session:
        apply_template(session, "elementary", "lincoln-es", {"rooms": 3})

    assert str(caught.value) == (
        "template 'elementary' at site 'lincoln-es' needs a quantity of classroom "
        "(given: rooms=3): give the site's number of classroom"
    )
    assert _lines(database) == []


def test_remove_template_from_site_removes_its_lines_only(database: Database) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        upsert_template(session, ELEMENTARY)
        apply_template(session, "elementary", "lincoln-es", {"classroom": 2})
        add_requirement(session, "lincoln-es", RequirementSpec(kind="server", count=1))

    with database.session(writer=True) as session:
        removed = remove_template_from_site(session, "elementary", "lincoln-es")

    assert removed == 6
    assert _lines(database) == [("lincoln-es", "server", None, 1)]
    with database.session() as session:
        assert list_templates(session)[0].sites == {}


REQUIREMENTS_TOML = """
[templates.elementary]
description = "Elementary school"
lines = [
  { kind = "access_point", per = "classroom" },
  { kind = "workstation", per = "classroom", label = "classrooms" },
  { kind = "workstation", count = 30, label = "lab", min_memory_gb = 8 },
  { kind = "switch", count = 2 },
]

[sites.lincoln-es]
templates = { elementary = { classroom = 24 } }

[sites.district-office]
requirements = [ { kind = "server", count = 4, min_memory_gb = 32, min_cores = 8 } ]
"""


def test_apply_requirements_file_twice_changes_nothing_the_second_time(
    database: Database, tmp_path: Path
) -> None:
    add_site(database, "lincoln-es")
    add_site(database, "district-office")
    path = tmp_path / "requirements.toml"
    path.write_text(REQUIREMENTS_TOML)

    with database.session(writer=True) as session:
        first = apply_requirements_file(session, load_requirements_file(path))
    with database.session(writer=True) as session:
        second = apply_requirements_file(session, load_requirements_file(path))

    assert [(o.site, o.added, o.updated, o.removed) for o in first] == [
        ("lincoln-es", 4, 0, 0),
        ("district-office", 1, 0, 0),
    ]
    assert [(o.site, o.added, o.updated, o.removed) for o in second] == [
        ("lincoln-es", 0, 0, 0),
        ("district-office", 0, 0, 0),
    ]
    assert _lines(database, "district-office") == [("district-office", "server", None, 4)]


def test_apply_requirements_file_replaces_what_a_named_site_no_longer_lists(
    database: Database, tmp_path: Path
) -> None:
    add_site(database, "lincoln-es")
    add_site(database, "district-office")
    path = tmp_path / "requirements.toml"
    path.write_text(REQUIREMENTS_TOML)
    with database.session(writer=True) as session:
        apply_requirements_file(session, load_requirements_file(path))
    path.write_text(
        REQUIREMENTS_TOML.replace("{ classroom = 24 }", "{ classroom = 20 }").replace(
            'requirements = [ { kind = "server"', 'requirements = [ { kind = "router"'
        )
    )

    with database.session(writer=True) as session:
        outcomes = apply_requirements_file(session, load_requirements_file(path))

    assert [(o.site, o.added, o.updated, o.removed) for o in outcomes] == [
        ("lincoln-es", 0, 2, 0),
        ("district-office", 1, 0, 1),
    ]
    assert _lines(database, "district-office") == [("district-office", "router", None, 4)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sites.lincoln-es]\nrequirements = [ { kind = 'ups' } ]",
         "requirements.toml: sites.lincoln-es.requirements.0.count: required field is missing"),
        ("[sites.lincoln-es]\ntemplates = { nope = { classroom = 1 } }",
         "site 'lincoln-es' uses template 'nope', which neither the file nor the CMDB declares"),
        ("[sites.nowhere]\nrequirements = []", "site 'nowhere' does not exist"),
        ("[templates.t]\nlines = [ { kind = 'ups' } ]",
         "requirements.toml: templates.t.lines.0: line of ups asks for nothing"),
        ("[sites.lincoln-es\n", "requirements.toml: not valid TOML"),
        ("[sites.lincoln-es]\nrequirements = [ { kind = 'ups', count = 1, colour = 'red' } ]",
         "requirements.toml: sites.lincoln-es.requirements.0.colour: unknown field"),
    ],
    ids=["missing-count", "unknown-template", "unknown-site", "empty-line", "bad-toml",
         "unknown-field"],
)  # fmt: skip
def test_apply_requirements_file_refuses_bad_file_writing_nothing(
    database: Database, tmp_path: Path, text: str, message: str
) -> None:
    add_site(database, "lincoln-es")
    path = tmp_path / "requirements.toml"
    path.write_text(text)

    with (
        pytest.raises((ConfigurationError, NotFoundError)) as caught,
        database.session(writer=True) as session,
    ):
        apply_requirements_file(session, load_requirements_file(path))

    assert message in str(caught.value).replace(str(tmp_path) + "/", "")
    assert _lines(database) == []


def test_update_requirement_stored_before_checks_names_the_bad_field_and_keeps_it(
    database: Database,
) -> None:
    add_site(database, "lincoln-es")
    with database.session(writer=True) as session:
        site_id = get_site(session, "lincoln-es").id
        session.add(Requirement(site_id=site_id, kind="workstation", count=3, os_family="beos"))

    with pytest.raises(ConfigurationError) as caught, database.session(writer=True) as session:
        update_requirement(session, 1, RequirementUpdate(count=4))

    assert str(caught.value) == (
        "requirement #1: os_family: 'beos' is not an OS family: expected one of windows, macos, "
        "chromeos, ios, android, linux, bsd"
    )
    assert _lines(database) == [("lincoln-es", "workstation", None, 3)]
    with database.session(writer=True) as session:
        fixed = update_requirement(session, 1, RequirementUpdate(count=4, os_family="linux"))
    assert (fixed.count, fixed.spec) == (4, "linux")


def test_template_with_a_tiny_memory_minimum_reads_back_as_a_minimum(database: Database) -> None:
    tiny = TemplateSpec(
        name="tiny", lines=[TemplateLineSpec(kind="server", count=1, min_memory_gb=1e-12)]
    )

    with database.session(writer=True) as session:
        upsert_template(session, tiny)

    with database.session() as session:
        [template] = list_templates(session)
    assert template.lines[0].min_memory_gb == 1 / 1024**3
