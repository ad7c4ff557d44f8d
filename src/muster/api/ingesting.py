"""Ingest on behalf of a token: placement, the token's site binding, then reconciliation.

Shared by the Observation route and the third-party agents' route, so both
refuse a batch the same way: as a whole, before anything is written.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from muster.api.errors import FieldProblem, InvalidRequestError, PermissionDeniedError
from muster.cmdb.errors import UnknownSiteError
from muster.cmdb.ingest import ingest
from muster.cmdb.observation import Observation
from muster.cmdb.results import IngestReport
from muster.cmdb.sites import placement
from muster.cmdb.tokens import Principal
from muster.cmdb.views import known_sweeps


def ingest_for(
    session: Session, caller: Principal, observations: Sequence[Observation]
) -> IngestReport:
    """Reconcile Observations sent with a token, refusing sites the token is not bound to."""
    _refuse_unknown_sweeps(session, observations)
    try:
        sites = placement(session, observations)
    except UnknownSiteError as exc:
        field = FieldProblem(field=f"{exc.index}.site", message=str(exc), value=exc.code)
        raise InvalidRequestError(str(exc), [field]) from exc
    refused = [
        FieldProblem(
            field=f"{index}.site",
            message=(
                f"placed at site {code!r}" if code else "names no site and no address of a site"
            )
            + f"; token {caller.name!r} may ingest only for {', '.join(sorted(caller.sites))}",
            value=code,
        )
        for index, code in enumerate(sites)
        if not caller.may_ingest_for(code)
    ]
    if refused:
        raise PermissionDeniedError(
            f"{len(refused)} Observations are for sites token {caller.name!r} is not bound "
            "to; nothing was ingested",
            refused,
        )
    return ingest(session, observations)


def _refuse_unknown_sweeps(session: Session, observations: Sequence[Observation]) -> None:
    wanted = {o.sweep_id for o in observations if o.sweep_id is not None}
    unknown = wanted - known_sweeps(session, wanted)
    if unknown:
        problems = [
            FieldProblem(
                field=f"{index}.sweep_id",
                message=f"sweep {o.sweep_id} does not exist: leave sweep_id out, or start "
                "the sweep first",
                value=o.sweep_id,
            )
            for index, o in enumerate(observations)
            if o.sweep_id in unknown
        ]
        raise InvalidRequestError(problems[0].message, problems)
