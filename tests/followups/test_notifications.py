"""Notifications: localised mail in the tenant's language, and the follow_up_opened hook for channel plugins."""

from __future__ import annotations

from typing import Any

import httpx

from pejling.core.followups.notices import FollowUpNotice
from pejling.core.followups.notifications import TEXTS, title_of
from pejling.core.hookspecs import hookimpl
from pejling.core.plugin_manager import load_plugins
from pejling.core.settings import Settings
from pejling.graphql.relay_ids import encode_id
from pejling.tenants.models import Role

from .conftest import Chain, Jobs, _person, gql, make_chain
from .helpers import CREATE_RULE


class ChatChannel:
    """A channel plugin that delivers follow-ups to a chat room (here: a list)."""

    def __init__(self) -> None:
        self.delivered: list[FollowUpNotice] = []

    @hookimpl
    async def follow_up_opened(self, tenant_id: Any, follow_up: FollowUpNotice) -> None:
        self.delivered.append(follow_up)


async def test_mail_is_written_in_the_tenants_language(api: httpx.AsyncClient, app: Any, jobs: Jobs,
                                                       smtp_server: Any) -> None:
    for language, subject in (("sv", "Uppföljning för Main street: Lågt betyg: 1 av 10"),
                              ("nb", "Oppfølging for Main street: Lav vurdering: 1 av 10"),
                              ("en", "Follow-up for Main street: Low rating: 1 of 10")):
        chain = await make_chain(app, language=language)
        await gql(api, chain.owner, CREATE_RULE, input={"name": "Low", "kind": "OUTCOME_AT_MOST", "threshold": 2})
        await chain.submit(outcome=1)
        await jobs.run()
        [mail] = await smtp_server.wait_for(chain.manager.user.email)
        assert mail["Subject"] == subject
        assert mail["Content-Language"] == language
    assert set(TEXTS) == {"da", "nb", "sv", "en"}
    assert all(set(texts) == set(TEXTS["en"]) for texts in TEXTS.values())
    assert title_of("comment_words", {"words": ["kø", "rod"]}, "da") == "Kommentaren nævner: kø, rod"


async def test_channel_plugins_get_the_follow_up_without_contact_details(
    api: httpx.AsyncClient, chain: Chain, jobs: Jobs, loop_settings: Settings
) -> None:
    channel = ChatChannel()
    plugins = await load_plugins(loop_settings, builtin_plugins=(), entry_points=False,
                                 extra_plugins=[("chat", channel)])
    jobs.worker.plugins = plugins  # the jobs get the plugins of the worker that runs them
    try:
        await gql(api, chain.owner, CREATE_RULE, input={"name": "Words", "kind": "COMMENT_WORDS", "words": ["kø"],
                                                         "notifyRoles": ["OWNER"]})
        await chain.submit(comment="Lang kø", consent_email="shopper@example.com")
        await jobs.run()
        assert channel.delivered == []  # a third-party plugin is off until the tenant enables it
        await plugins.enable_plugin(chain.tenant.id, "chat")
        await chain.submit(comment="Igen kø")
        await jobs.run()
    finally:
        jobs.worker.plugins = None
    [notice] = channel.delivered
    assert notice.tenant_id == chain.tenant.id and notice.store_name == "Main street"
    assert notice.title == "Kommentaren nævner: kø" and notice.language == "da"
    # The assignee (the store manager) first, then the rule's roles, each address once.
    assert notice.recipients == (chain.manager.user.email, chain.owner.user.email)
    assert "shopper@example.com" not in repr(notice)
    assert notice.url.endswith(f"/portal/follow-ups/{notice.id}")


async def test_a_manager_of_another_store_cannot_be_assigned(api: httpx.AsyncClient, chain: Chain) -> None:
    harbour_manager = await _person(chain.tenant, Role.STORE_MANAGER, [str(chain.other_store.id)])
    await gql(api, chain.owner, CREATE_RULE, input={"name": "Low", "kind": "OUTCOME_AT_MOST", "threshold": 2})
    await chain.submit(outcome=0)
    [edge] = (await gql(api, chain.owner, "{ followUps { edges { node { id } } } }"))["data"]["followUps"]["edges"]
    assign = """mutation($id: ID!, $memberId: ID) { assignFollowUp(id: $id, memberId: $memberId) {
        errors { code field } } }"""
    body = await gql(api, chain.owner, assign, id=edge["node"]["id"],
                     memberId=encode_id("Member", harbour_manager.membership.id))
    assert body["data"]["assignFollowUp"]["errors"] == [{"code": "invalid", "field": "memberId"}]
