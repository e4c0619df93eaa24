"""A person's own logged-in browsers: see them (``me { sessions }``) and end any of them (``endSession``); an owner
or admin ends another member's (``endMemberSessions``).

Only from a logged-in browser: an API token acts for its creator but cannot list or end their browsers. Ending a
session deletes its row, so that browser's cookie is worthless at once; ending the current one is a logout.
``endMemberSessions`` follows the rules of the other member changes (owners and admins of the tenant, a write token
included; only an owner acts on an owner) and is recorded in the audit log like every mutation.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from pejling.core.auth.middleware import cookies_secure
from pejling.core.auth.models import Session
from pejling.core.auth.sessions import clear_session_cookies, end_session
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id, encode_id
from pejling.tenants.members import MemberChangeRefused, end_member_sessions

#: The most sessions listed (newest first).
MAX_LISTED = 50


@strawberry.type(name="LoginSession", description="A browser logged in as you.")
class LoginSession:
    id: strawberry.ID
    created_at: datetime = strawberry.field(description="When you logged in there.")
    last_seen_at: datetime = strawberry.field(description="Its last request (to the minute).")
    expires_at: datetime = strawberry.field(description="When it ends at the latest (sooner when left unused).")
    user_agent: str = strawberry.field(description="The start of its browser's User-Agent.")
    current: bool = strawberry.field(description="The browser of this request.")

    @classmethod
    def of(cls, row: Session, current: UUID | None) -> LoginSession:
        return cls(id=strawberry.ID(encode_id("LoginSession", row.id)), created_at=row.created_at,
                   last_seen_at=row.last_seen_at, expires_at=row.expires_at, user_agent=row.user_agent,
                   current=row.id == current)


async def own_sessions(info: Info, user_id: UUID) -> list[LoginSession]:
    """The person's sessions, newest first; none for a request made with an API token."""
    actor = info.context.actor
    if actor.session_id is None or actor.user_id != user_id:
        return []
    rows = await Session.filter(user_id=user_id).order_by("-created_at").limit(MAX_LISTED)
    return [LoginSession.of(row, actor.session_id) for row in rows]


@strawberry.type
class EndSessionPayload:
    ended: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EndMemberSessionsPayload:
    ended: int = strawberry.field(default=0, description="How many logged-in browsers were ended.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionMutation:
    @strawberry.mutation(description="End one of your logged-in browsers (an id from me.sessions); ending this "
                         "browser's own session logs it out. From a logged-in browser only.")
    async def end_session(self, info: Info, id: strawberry.ID) -> EndSessionPayload:
        context = info.context
        actor = context.actor
        if actor.session_id is None or actor.user_id is None:
            return EndSessionPayload(errors=[forbidden("Only a logged-in browser can end sessions.")])
        session_id = decode_id(id, "LoginSession")
        row = await Session.get_or_none(id=session_id, user_id=actor.user_id) if session_id else None
        if row is None:
            return EndSessionPayload(errors=[not_found("id", "No session of yours has this id.")])
        await end_session(row.id)
        if row.id == actor.session_id:
            clear_session_cookies(context.response, secure=cookies_secure(context.request.scope, context.settings))
        return EndSessionPayload(ended=True)

    @strawberry.mutation(description="Log a member of this tenant out of every browser (owners and admins, only an "
                         "owner for an owner). Sessions are the person's, so this ends their logins to other tenants "
                         "too. Their API tokens stay valid.")
    async def end_member_sessions(self, info: Info, member_id: strawberry.ID) -> EndMemberSessionsPayload:
        _, error = mutation_guard(info)
        if error:
            return EndMemberSessionsPayload(errors=[error])
        try:
            ended = await end_member_sessions(actor=info.context.actor, member_id=decode_id(member_id, "Member"))
        except MemberChangeRefused as exc:
            return EndMemberSessionsPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return EndMemberSessionsPayload(ended=ended)
