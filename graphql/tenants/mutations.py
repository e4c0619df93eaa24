"""Change stores, zones and members. Owners and admins only; every failure is a typed error."""

from __future__ import annotations

import zoneinfo

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from pejling.graphql.accounts.mutations import MAX_INPUT, _open_session
from pejling.graphql.accounts.types import Me
from pejling.graphql.billing.entitlements import seat_refused, store_refused
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, forbidden, invalid, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.tenants.types import InvitationNode, MemberNode, Role, StoreNode, TenantType, ZoneNode
from pejling.tenants import models
from pejling.tenants.branding import BrandingRefused, check_colour, decode_logo
from pejling.tenants.invitations import accept_invitation, invite_member, revoke_invitation
from pejling.tenants.members import MemberChangeRefused, change_member, remove_member
from pejling.tenants.signup import LANGUAGES, SLUG, SignupRefused

ZONE_KINDS = ("entrance", "checkout", "fitting_room", "service_desk", "aisle", "cafe", "other")
TIMEZONES = frozenset(zoneinfo.available_timezones())
#: Path segments under /s/{tenant}/ that are not stores.
RESERVED_STORE_SLUGS = frozenset({"logo"})


@strawberry.input
class StoreInput:
    name: str
    slug: str
    address: str = ""
    timezone: str = "Europe/Copenhagen"
    default_language: str = "en"


@strawberry.input
class StoreChanges:
    id: strawberry.ID
    name: str | None = None
    slug: str | None = None
    address: str | None = None
    timezone: str | None = None
    default_language: str | None = None


@strawberry.input
class TenantChanges:
    name: str | None = None
    default_language: str | None = None
    brand_colour: str | None = None


@strawberry.type
class TenantPayload:
    tenant: TenantType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ZoneInput:
    store_id: strawberry.ID
    name: str
    kind: str = "other"


@strawberry.input
class ZoneChanges:
    id: strawberry.ID
    name: str | None = None
    kind: str | None = None


@strawberry.type
class StorePayload:
    store: StoreNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ZonePayload:
    zone: ZoneNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MemberPayload:
    member: MemberNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitationPayload:
    invitation: InvitationNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AcceptInvitationPayload:
    me: Me | None = None
    tenant: TenantType | None = strawberry.field(
        default=None, description="The tenant joined: send its slug as X-Pejling-Tenant when you are in several.")
    role: Role | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _store_errors(name: str | None, slug: str | None, address: str | None, timezone: str | None,
                  language: str | None) -> list[UserError]:
    errors = []
    if name is not None and not 1 <= len(name.strip()) <= 200:
        errors.append(invalid("name", "Give the store a name of 1–200 characters."))
    if slug is not None and not SLUG.match(slug):
        errors.append(invalid("slug", "Use 1–63 lowercase letters, digits and hyphens."))
    elif slug in RESERVED_STORE_SLUGS:
        errors.append(invalid("slug", f"'{slug}' is reserved; choose another."))
    if address is not None and len(address) > 500:
        errors.append(invalid("address", "Keep the address under 500 characters."))
    if timezone is not None and timezone not in TIMEZONES:
        errors.append(invalid("timezone", "Use an IANA time zone such as Europe/Oslo."))
    if language is not None and language not in LANGUAGES:
        errors.append(invalid("defaultLanguage", f"Choose one of {', '.join(LANGUAGES)}."))
    return errors


def _zone_errors(name: str | None, kind: str | None) -> list[UserError]:
    errors = []
    if name is not None and not 1 <= len(name.strip()) <= 200:
        errors.append(invalid("name", "Give the zone a name of 1–200 characters."))
    if kind is not None and kind not in ZONE_KINDS:
        errors.append(invalid("kind", f"Choose one of {', '.join(ZONE_KINDS)}."))
    return errors


async def _store(id: str) -> models.Store | None:
    store_id = decode_id(id, "Store")
    return await models.Store.get_or_none(id=store_id) if store_id else None


async def _zone(id: str) -> models.Zone | None:
    zone_id = decode_id(id, "Zone")
    return await models.Zone.get_or_none(id=zone_id) if zone_id else None


@strawberry.type
class TenantMutation:
    @strawberry.mutation(description="Owners only: require two-step login of every member who logs in with a "
                                     "password (single sign-on logins are left to the identity provider). "
                                     "Members without it can then only set it up, on the Security page.")
    async def set_require_two_step(self, info: Info, required: bool) -> TenantPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return TenantPayload(errors=[error] if error else [])
        if info.context.actor.role is not models.Role.OWNER:
            return TenantPayload(errors=[forbidden("Only an owner can change the two-step rule.")])
        tenant.require_two_step = required
        await tenant.save(update_fields=["require_two_step"])
        return TenantPayload(tenant=TenantType.from_model(tenant))

    @strawberry.mutation(description="Change the tenant's name, default language or brand colour.")
    async def update_tenant(self, info: Info, input: TenantChanges) -> TenantPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return TenantPayload(errors=[error] if error else [])
        errors = []
        if input.name is not None and not 1 <= len(input.name.strip()) <= 200:
            errors.append(invalid("name", "Give the business a name of 1–200 characters."))
        if input.default_language is not None and input.default_language not in LANGUAGES:
            errors.append(invalid("defaultLanguage", f"Choose one of {', '.join(LANGUAGES)}."))
        colour = None
        if input.brand_colour is not None:
            try:
                colour = check_colour(input.brand_colour)
            except BrandingRefused as exc:
                errors.append(invalid(exc.field, exc.message))
        if errors:
            return TenantPayload(errors=errors)
        if input.name is not None:
            tenant.name = input.name.strip()
        if input.default_language is not None:
            tenant.default_language = input.default_language
        if colour is not None:
            tenant.brand_colour = colour
        await tenant.save(update_fields=["name", "default_language", "brand_colour"])
        return TenantPayload(tenant=TenantType.from_model(tenant))

    @strawberry.mutation(description="Set the logo shown to shoppers (a PNG, JPEG or WebP data: URL up to 24 KB); "
                                     "null, or leaving dataUrl out, removes it.")
    async def set_tenant_logo(self, info: Info, data_url: str | None = None) -> TenantPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return TenantPayload(errors=[error] if error else [])
        if data_url is None:
            tenant.logo, tenant.logo_type = None, None
        else:
            try:
                tenant.logo, tenant.logo_type = decode_logo(data_url)
            except BrandingRefused as exc:
                return TenantPayload(errors=[invalid(exc.field, exc.message)])
        tenant.logo_version += 1
        await tenant.save(update_fields=["logo", "logo_type", "logo_version"])
        return TenantPayload(tenant=TenantType.from_model(tenant))

    @strawberry.mutation(description="Add a store.")
    async def create_store(self, info: Info, input: StoreInput) -> StorePayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return StorePayload(errors=[error] if error else [])
        errors = _store_errors(input.name, input.slug, input.address, input.timezone, input.default_language)
        if not errors and (refused := await store_refused(info, tenant)):
            errors.append(refused)
        if not errors and await models.Store.exists(slug=input.slug):
            errors.append(UserError(code="conflict", field="slug", message="Another store uses this slug."))
        if errors:
            return StorePayload(errors=errors)
        try:
            store = await models.Store.create(name=input.name.strip(), slug=input.slug, address=input.address,
                                              timezone=input.timezone, default_language=input.default_language)
        except IntegrityError:
            taken = UserError(code="conflict", field="slug", message="Another store uses this slug.")
            return StorePayload(errors=[taken])
        return StorePayload(store=StoreNode.from_model(store))

    @strawberry.mutation(description="Change a store's details; omitted fields stay as they are.")
    async def update_store(self, info: Info, input: StoreChanges) -> StorePayload:
        _, error = mutation_guard(info)
        if error:
            return StorePayload(errors=[error])
        store = await _store(input.id)
        if store is None:
            return StorePayload(errors=[not_found()])
        errors = _store_errors(input.name, input.slug, input.address, input.timezone, input.default_language)
        if not errors and input.slug and input.slug != store.slug and await models.Store.exists(slug=input.slug):
            errors.append(UserError(code="conflict", field="slug", message="Another store uses this slug."))
        if errors:
            return StorePayload(errors=errors)
        for attr in ("name", "slug", "address", "timezone", "default_language"):
            value = getattr(input, attr)
            if value is not None:
                setattr(store, attr, value.strip() if attr == "name" else value)
        await store.save()
        return StorePayload(store=StoreNode.from_model(store))

    @strawberry.mutation(description="Delete a store with its zones.")
    async def delete_store(self, info: Info, id: strawberry.ID) -> DeletePayload:
        _, error = mutation_guard(info)
        if error:
            return DeletePayload(errors=[error])
        store = await _store(id)
        if store is None:
            return DeletePayload(errors=[not_found()])
        await store.delete()
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(description="Add a zone to a store.")
    async def create_zone(self, info: Info, input: ZoneInput) -> ZonePayload:
        _, error = mutation_guard(info)
        if error:
            return ZonePayload(errors=[error])
        store = await _store(input.store_id)
        if store is None:
            return ZonePayload(errors=[not_found("storeId")])
        errors = _zone_errors(input.name, input.kind)
        if errors:
            return ZonePayload(errors=errors)
        zone = await models.Zone.create(store=store, name=input.name.strip(), kind=input.kind)
        return ZonePayload(zone=ZoneNode.from_model(zone))

    @strawberry.mutation(description="Rename a zone or change its kind.")
    async def update_zone(self, info: Info, input: ZoneChanges) -> ZonePayload:
        _, error = mutation_guard(info)
        if error:
            return ZonePayload(errors=[error])
        zone = await _zone(input.id)
        if zone is None:
            return ZonePayload(errors=[not_found()])
        errors = _zone_errors(input.name, input.kind)
        if errors:
            return ZonePayload(errors=errors)
        if input.name is not None:
            zone.name = input.name.strip()
        if input.kind is not None:
            zone.kind = input.kind
        await zone.save()
        return ZonePayload(zone=ZoneNode.from_model(zone))

    @strawberry.mutation(description="Delete a zone.")
    async def delete_zone(self, info: Info, id: strawberry.ID) -> DeletePayload:
        _, error = mutation_guard(info)
        if error:
            return DeletePayload(errors=[error])
        zone = await _zone(id)
        if zone is None:
            return DeletePayload(errors=[not_found()])
        await zone.delete()
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(description="Invite an address to a role (owners and admins): it gets a link, valid 7 days, "
                         "and becomes a member only by accepting. A new invitation replaces a pending one.")
    async def invite_member(self, info: Info, email: str, role: Role, store_ids: list[strawberry.ID] | None = None
                            ) -> InvitationPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return InvitationPayload(errors=[error] if error else [])
        if len(email) > MAX_INPUT:
            return InvitationPayload(errors=[invalid("email", "Enter a valid email address.")])
        if len(store_ids or []) > 500:
            return InvitationPayload(errors=[invalid("storeIds", "At most 500 stores.")])
        if refused := await seat_refused(info, tenant):
            return InvitationPayload(errors=[refused])
        try:
            invitation = await invite_member(
                tenant=tenant, actor=info.context.actor, email=email, role=models.Role(role),
                store_ids=[decode_id(s, "Store") for s in store_ids or []], settings=info.context.settings,
            )
        except MemberChangeRefused as exc:
            return InvitationPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return InvitationPayload(invitation=InvitationNode.from_model(invitation))

    @strawberry.mutation(description="Make a pending invitation's link stop working (owners and admins).")
    async def revoke_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        _, error = mutation_guard(info)
        if error:
            return InvitationPayload(errors=[error])
        try:
            invitation = await revoke_invitation(decode_id(id, "Invitation"))
        except MemberChangeRefused as exc:
            return InvitationPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return InvitationPayload(invitation=InvitationNode.from_model(invitation))

    @strawberry.mutation(description="Accept an invitation with the token from its mail. An address that has an "
                         "account accepts logged in as it; a new person gives a password (and name) and is logged "
                         "in. A wrong, used, revoked or expired token is invalid_token.")
    async def accept_invitation(self, info: Info, token: str, password: str | None = None, name: str | None = None
                                ) -> AcceptInvitationPayload:
        actor = info.context.actor
        if actor.token_id is not None:
            refused = forbidden("Accept invitations in a browser, not with an API token.")
            return AcceptInvitationPayload(errors=[refused])
        if len(token) > MAX_INPUT or len(password or "") > MAX_INPUT or len(name or "") > MAX_INPUT:
            return AcceptInvitationPayload(errors=[invalid(None, "An input is too long.")])
        session_user = await models.User.get_or_none(id=actor.user_id) if actor.user_id else None
        try:
            tenant, membership, user = await accept_invitation(token=token, session_user=session_user,
                                                               password=password, name=name or "")
        except SignupRefused as exc:
            return AcceptInvitationPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        if session_user is not None and session_user.id == user.id:
            me = Me.of(info, user, session_id=actor.session_id, via_token=False, via_sso=actor.via_sso)
        else:
            me = await _open_session(info, user)
        return AcceptInvitationPayload(me=me, tenant=TenantType.from_model(tenant), role=Role(membership.role))

    @strawberry.mutation(description="Change a member's role (and a store manager's stores).")
    async def update_member(self, info: Info, id: strawberry.ID, role: Role,
                            store_ids: list[strawberry.ID] | None = None) -> MemberPayload:
        _, error = mutation_guard(info)
        if error:
            return MemberPayload(errors=[error])
        member_id = decode_id(id, "Member")
        if len(store_ids or []) > 500:
            return MemberPayload(errors=[invalid("storeIds", "At most 500 stores.")])
        try:
            membership, user = await change_member(
                actor=info.context.actor, member_id=member_id, role=models.Role(role),
                store_ids=[decode_id(s, "Store") for s in store_ids or []],
            )
        except MemberChangeRefused as exc:
            return MemberPayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return MemberPayload(member=MemberNode.from_model(membership, user))

    @strawberry.mutation(description="Remove a member from the tenant (the last owner cannot be removed).")
    async def remove_member(self, info: Info, id: strawberry.ID) -> DeletePayload:
        _, error = mutation_guard(info)
        if error:
            return DeletePayload(errors=[error])
        try:
            async with in_transaction():
                await remove_member(actor=info.context.actor, member_id=decode_id(id, "Member"))
        except MemberChangeRefused as exc:
            return DeletePayload(errors=[UserError(code=exc.code, field=exc.field, message=exc.message)])
        return DeletePayload(deleted_id=id)


