"""The standard sync rule set a new simulated server starts with.

Shaped like the real `Get-ADSyncServerConfiguration` export of build 1.1.130.0 (the "Contoso /
Pilot" sample published with AADConnectConfigDocumenter, MIT licence): the same 62 rules with
their identifiers, names, directions, precedences, immutable tags, object types and link types.
The Group Join rule carries its real flows and scope (`group_join_rule`); the other rules keep
their identity but not their attribute flows, which nothing here reads.

From 1.6.2.4 the product adds `Out to AAD - Group Writeup Member Limit` (version history): an
outbound group Join rule whose only flow is `member`, erroring above the same limit as Group Join
(the expression admins quote in azure-docs #75330), at precedence 137 as seen on real servers; the
standard rules from 137 on move one down to make room, as the product renumbers on upgrade.
"""

from __future__ import annotations

from reconciler.model import builds, expressions, facts, limitrules
from reconciler.model.observed import (
    AttributeFlowMapping,
    JoinCondition,
    JoinConditionGroup,
    ScopeCondition,
    ScopeConditionGroup,
    SyncRule,
)

AD = "ae4db4cc-b16b-4eb2-acf5-837ca84e4d7d"  # the on-premises AD connector of the sample export
AAD = facts.AAD_CONNECTOR_ID

# (precedence, identifier, name, direction, immutable tag, source type, target type, link type, connector)
# fmt: off
ROWS: tuple[tuple[int, str, str, str, str, str, str, str, str], ...] = (
    (100, "0b088913-b613-4d9d-9563-9988b7719ed6", "In from AD - User Join", "Inbound", "Microsoft.InfromADUserJoin.003", "user", "person", "Provision", AD),
    (101, "9347e1d3-15f7-43b7-a35a-c9b04020f8dd", "In from AD - InetOrgPerson Join", "Inbound", "Microsoft.InfromADInetOrgPersonJoin.003", "inetOrgPerson", "person", "Provision", AD),
    (102, "0a1f95e3-265a-44fc-ad7c-80e267b05c06", "In from AD - User AccountEnabled", "Inbound", "Microsoft.InfromADUserAccountEnabled.004", "user", "person", "Join", AD),
    (103, "9a365cc7-9ec7-4dd8-adab-cf212e21204e", "In from AD - InetOrgPerson AccountEnabled", "Inbound", "Microsoft.InfromADInetOrgPersonAccountEnabled.003", "inetOrgPerson", "person", "Join", AD),
    (104, "6fff723b-9f17-4fae-9b26-578b7d15c72f", "In from AD - User Common from Exchange", "Inbound", "Microsoft.InfromADUserCommonfromExchange.004", "user", "person", "Join", AD),
    (105, "e5611cb4-01fd-4006-b133-44fbb82ad478", "In from AD - InetOrgPerson Common from Exchange", "Inbound", "Microsoft.InfromADInetOrgPersonCommonfromExchange.004", "inetOrgPerson", "person", "Join", AD),
    (106, "c93c2c84-f29f-4d43-bc3b-fa439a2fb1c1", "In from AD - User Common", "Inbound", "Microsoft.InfromADUserCommon.004", "user", "person", "Join", AD),
    (107, "87cee849-139c-40ee-9aff-91c188006170", "In from AD - InetOrgPerson Common", "Inbound", "Microsoft.InfromADInetOrgPersonCommon.004", "inetOrgPerson", "person", "Join", AD),
    (108, "e5e5058b-034a-4403-b438-6046f5d19e0c", "In from AD - User Exchange", "Inbound", "Microsoft.InfromADUserExchange.003", "user", "person", "Join", AD),
    (109, "dd2c1b12-567a-459c-a534-22977a118fc4", "In from AD - InetOrgPerson Exchange", "Inbound", "Microsoft.InfromADInetOrgPersonExchange.003", "inetOrgPerson", "person", "Join", AD),
    (110, "10fd1aee-ad24-4de2-8c9f-31727286d8f2", "In from AD - User Lync", "Inbound", "Microsoft.InfromADUserLync.004", "user", "person", "Join", AD),
    (111, "1ca06e20-b16a-4488-8e5f-a1b5f0761cae", "In from AD - InetOrgPerson Lync", "Inbound", "Microsoft.InfromADInetOrgPersonLync.003", "inetOrgPerson", "person", "Join", AD),
    (112, "794ef0a3-0556-410e-96ff-b2ec8495ef39", "In from AD - Group Join", "Inbound", "Microsoft.InfromADGroupJoin.003", "group", "group", "Provision", AD),
    (113, "6e54dffb-6bbf-4ffd-bf7c-cadadaa068ff", "In from AD - Group Exchange", "Inbound", "Microsoft.InfromADGroupExchange.004", "group", "group", "Join", AD),
    (114, "7f814456-46cf-4f97-af79-d20300949f3a", "In from AD - Group Common", "Inbound", "Microsoft.InfromADGroupCommon.004", "group", "group", "Join", AD),
    (115, "89549507-440b-4038-8e8d-e896c290fe91", "In from AD - Contact Join", "Inbound", "Microsoft.InfromADContactJoin.003", "contact", "person", "Provision", AD),
    (116, "ef897aed-2774-4315-8bfc-695b5ee91b62", "In from AD - Contact Common", "Inbound", "Microsoft.InfromADContactCommon.004", "contact", "person", "Join", AD),
    (117, "e5690e87-d3de-4bab-9db8-bc6fd9788ac2", "In from AD - Contact Lync", "Inbound", "Microsoft.InfromADContactLync.003", "contact", "person", "Join", AD),
    (118, "33852a9c-5a00-4641-a1b5-1e697714b804", "In from AD - ForeignSecurityPrincipal Join User", "Inbound", "Microsoft.InfromADForeignSecurityPrincipalJoinUser.001", "foreignSecurityPrincipal", "*", "Join", AD),
    (119, "951424f5-f470-4ed6-b567-e7e67afaeb72", "In from AAD - User Join", "Inbound", "Microsoft.InfromAADUserJoin.004", "user", "person", "Join", AAD),
    (120, "e8dfd42f-1ed5-4d08-a407-acb25e460b42", "In from AAD - Contact Join", "Inbound", "Microsoft.InfromAADContactJoin.003", "contact", "person", "Join", AAD),
    (121, "236ab8bc-be8b-419a-8909-e29d32e84852", "In from AAD - Group Join", "Inbound", "Microsoft.InfromAADGroupJoin.004", "group", "group", "Join", AAD),
    (122, "0870f2a3-0a77-46a4-bda3-ced0c1afbde9", "In from AAD - User NGCKey", "Inbound", "Microsoft.InfromAADUserNGCKey.001", "user", "person", "Join", AAD),
    (123, "6f1bc185-65f9-4175-a31e-70fc975f464a", "Out to AAD - User Join", "Outbound", "Microsoft.OuttoAADUserJoin.006", "person", "user", "Provision", AAD),
    (124, "e29790d1-ccb0-4829-ad45-b96bc68a184c", "Out to AAD - User Identity", "Outbound", "Microsoft.OuttoAADUserIdentity.005", "person", "user", "Join", AAD),
    (125, "8d26623c-0832-4be2-8fbf-e7fc72796d25", "Out to AAD - User ExchangeOnline", "Outbound", "Microsoft.OuttoAADUserExchangeOnline.004", "person", "user", "Join", AAD),
    (126, "30c8be37-91c3-45ba-9f97-f9a0b38a0df0", "Out to AAD - User DynamicsCRM", "Outbound", "Microsoft.OuttoAADUserDynamicsCRM.004", "person", "user", "Join", AAD),
    (127, "38f71936-9dc9-4316-b140-5f256db98c82", "Out to AAD - User Intune", "Outbound", "Microsoft.OuttoAADUserIntune.004", "person", "user", "Join", AAD),
    (128, "43b67eb7-0583-4a07-a3a7-bd32be2b0c6c", "Out to AAD - User LyncOnline", "Outbound", "Microsoft.OuttoAADUserLyncOnline.004", "person", "user", "Join", AAD),
    (129, "6bda256d-2e9e-44e1-aeed-0442ce4db6d9", "Out to AAD - User SharePointOnline", "Outbound", "Microsoft.OuttoAADUserSharePointOnline.004", "person", "user", "Join", AAD),
    (130, "27f44ceb-9ae6-4327-b5d9-f25cfb874211", "Out to AAD - User AzureRMS", "Outbound", "Microsoft.OuttoAADUserAzureRMS.004", "person", "user", "Join", AAD),
    (131, "0ba9f56b-0501-4c4f-81c3-f437b0240c21", "Out to AAD - Contact Join", "Outbound", "Microsoft.OuttoAADContactJoin.003", "person", "contact", "Provision", AAD),
    (132, "8ae664a6-d8a2-45db-ac67-27cfacdc2dc6", "Out to AAD - Contact Identity", "Outbound", "Microsoft.OuttoAADContactIdentity.003", "person", "contact", "Join", AAD),
    (133, "675cf8c5-0001-468b-aef0-0989d5900c51", "Out to AAD - Contact ExchangeOnline", "Outbound", "Microsoft.OuttoAADContactExchangeOnline.003", "person", "contact", "Join", AAD),
    (134, "b77f5972-c6aa-4686-9f98-d1388611757e", "Out to AAD - Contact DynamicsCRM", "Outbound", "Microsoft.OuttoAADContactDynamicsCRM.003", "person", "contact", "Join", AAD),
    (135, "b0acf5b7-4ba9-47f1-99e7-ce38b9fed0ee", "Out to AAD - Contact Intune", "Outbound", "Microsoft.OuttoAADContactIntune.003", "person", "contact", "Join", AAD),
    (136, "a6ee85e4-f253-4c22-a390-a1ef32120917", "Out to AAD - Contact LyncOnline", "Outbound", "Microsoft.OuttoAADContactLyncOnline.003", "person", "contact", "Join", AAD),
    (137, "91b67d5b-5755-45d3-9e07-f2be8a02f4ec", "Out to AAD - Contact SharePointOnline", "Outbound", "Microsoft.OuttoAADContactSharePointOnline.003", "person", "contact", "Join", AAD),
    (138, "40feed36-b6b7-4569-8100-6ba9d708d02b", "Out to AAD - Contact AzureRMS", "Outbound", "Microsoft.OuttoAADContactAzureRMS.003", "person", "contact", "Join", AAD),
    (139, "039dcc3a-1513-4c08-b296-0973691e644a", "Out to AAD - Group Join", "Outbound", "Microsoft.OuttoAADGroupJoin.006", "group", "group", "Provision", AAD),
    (140, "a72c40f1-8c05-43bc-91f2-ecbfeb57c05a", "Out to AAD - Group Identity", "Outbound", "Microsoft.OuttoAADGroupIdentity.004", "group", "group", "Join", AAD),
    (141, "b9f497de-f29f-450c-872d-a83c787b1cfa", "Out to AAD - Group ExchangeOnline", "Outbound", "Microsoft.OuttoAADGroupExchangeOnline.005", "group", "group", "Join", AAD),
    (142, "921def5f-8727-4c3c-abc9-49b90a6dd616", "Out to AAD - Group DynamicsCRM", "Outbound", "Microsoft.OuttoAADGroupDynamicsCRM.004", "group", "group", "Join", AAD),
    (143, "a23fa925-816d-4c30-af2c-4fb42c42a83f", "Out to AAD - Group Intune", "Outbound", "Microsoft.OuttoAADGroupIntune.004", "group", "group", "Join", AAD),
    (144, "96674fde-b656-4f80-b3fe-cf6035397da9", "Out to AAD - Group LyncOnline", "Outbound", "Microsoft.OuttoAADGroupLyncOnline.004", "group", "group", "Join", AAD),
    (145, "81205346-bd02-491f-b81e-eab77786cd03", "Out to AAD - Group SharePointOnline", "Outbound", "Microsoft.OuttoAADGroupSharePointOnline.004", "group", "group", "Join", AAD),
    (146, "7381a1b2-365d-449e-9a34-0ab1a5237246", "Out to AAD - Group AzureRMS", "Outbound", "Microsoft.OuttoAADGroupAzureRMS.004", "group", "group", "Join", AAD),
    (147, "7d833b2f-c66c-4e54-aedd-5e28d5bc3945", "Out to AAD - User OfficeProPlus", "Outbound", "Microsoft.OuttoAADUserOfficeProPlus.004", "person", "user", "Join", AAD),
    (148, "250624f3-3876-45ed-9e8f-f7333a4fd263", "In from AAD - Contact Exchange Hybrid", "Inbound", "Microsoft.InfromAADContactExchangeHybrid.003", "contact", "person", "Join", AAD),
    (149, "16a77e26-bfee-4125-ad76-3291874eb639", "In from AAD - Group Exchange Hybrid", "Inbound", "Microsoft.InfromAADGroupExchangeHybrid.003", "group", "group", "Join", AAD),
    (150, "cd580104-539a-4eb4-9b9a-0beaafbb1324", "In from AAD - User Exchange Hybrid", "Inbound", "Microsoft.InfromAADUserExchangeHybrid.003", "user", "person", "Join", AAD),
    (151, "8b4947d0-b442-4de6-b58b-bbe547813364", "Out to AD - Contact Join", "Outbound", "Microsoft.OuttoADContactJoin.003", "person", "contact", "Join", AD),
    (152, "3e8b91b0-e20c-408d-9ba9-3dc1dce10fa2", "Out to AD - Group Join", "Outbound", "Microsoft.OuttoADGroupJoin.004", "group", "group", "Join", AD),
    (153, "2fe36c5f-5753-4837-bc9a-006623b9170c", "Out to AD - InetOrgPerson Join", "Outbound", "Microsoft.OuttoADInetOrgPersonJoin.003", "person", "inetOrgPerson", "Join", AD),
    (154, "71316c22-a94c-4e14-9e83-e27a4c0b9bd7", "Out to AD - User Join SOAInAD", "Outbound", "Microsoft.OuttoADUserJoinSOAInAD.004", "person", "user", "Join", AD),
    (155, "ed501e7e-451a-45fd-985e-e62709a48c06", "Out to AD - Contact Exchange Hybrid", "Outbound", "Microsoft.OuttoADContactExchangeHybrid.003", "person", "contact", "Join", AD),
    (156, "212ff12d-a3e7-455b-b4d1-ac8a45d4eeb8", "Out to AD - Group Exchange Hybrid", "Outbound", "Microsoft.OuttoADGroupExchangeHybrid.004", "group", "group", "Join", AD),
    (157, "742af925-f60c-47e0-bfae-c1c5166286d7", "Out to AD - InetOrgPerson Exchange Hybrid", "Outbound", "Microsoft.OuttoADInetOrgPersonExchangeHybrid.003", "person", "inetOrgPerson", "Join", AD),
    (158, "e7165896-0027-41d0-bd87-509b984a281e", "Out to AD - User Exchange Hybrid", "Outbound", "Microsoft.OuttoADUserExchangeHybrid.003", "person", "user", "Join", AD),
    (159, "d79c6b03-a3d5-4160-8b12-87eff97ab7be", "In from AD - Computer Join", "Inbound", "Microsoft.InfromADComputerJoin.002", "computer", "device", "Provision", AD),
    (160, "a25d7313-790e-4430-88a5-0c478910e637", "Out to AAD - Device Join SOAInAD", "Outbound", "Microsoft.OuttoAADJoinSOAInAD.002", "device", "device", "Provision", AAD),
    (161, "7b39914c-6938-437d-8957-b8eb8f8608ec", "In from AD - Device Common", "Inbound", "Microsoft.InfromADDeviceCommon.001", "msDS-Device", "device", "Join", AD),
)

WRITEUP_PRECEDENCE = 137
WRITEUP_MEMBER_LIMIT = (
    WRITEUP_PRECEDENCE, "", "Out to AAD - Group Writeup Member Limit", "Outbound",
    "Microsoft.OuttoAADGroupWriteupMemberLimit.001", "group", "group", "Join", AAD,
)
# fmt: on


def _group_join_scope(limit: int) -> tuple[ScopeConditionGroup, ...]:
    # Real export: four scope groups. Groups already in Azure AD (cloudAnchor present) stay in
    # scope whatever their size; new ones only below the limit. Security and mail-enabled alike.
    common = (
        ScopeCondition("cloudFiltered", "NOTEQUAL", "True"),
        ScopeCondition("sourceAnchor", "ISNOTNULL", ""),
        ScopeCondition("cloudMastered", "NOTEQUAL", "True"),
    )
    groups = []
    for kind in ("securityEnabled", "mailEnabled"):
        enabled = ScopeCondition(kind, "EQUAL", "True")
        groups.append(ScopeConditionGroup((*common, enabled, ScopeCondition("cloudAnchor", "ISNOTNULL", ""))))
        groups.append(ScopeConditionGroup((*common, enabled, ScopeCondition("memberCount", "LESSTHAN", str(limit)))))
    return tuple(groups)


def _group_join_flows(limit: int) -> tuple[AttributeFlowMapping, ...]:
    # Real export, in its order. Direct flows carry no expression.
    return (
        AttributeFlowMapping(("cn",), "commonName", "Direct", None),
        AttributeFlowMapping(("sourceAnchor",), "dn", "Expression", '"CN={" & ConvertToUTF8Hex([sourceAnchor]) & "}"'),
        AttributeFlowMapping(("member",), "member", "Expression", expressions.standard_member_expression(limit)),
        AttributeFlowMapping(("objectSid",), "onPremiseSecurityIdentifier", "Direct", None),
        AttributeFlowMapping(
            ("cloudSourceAnchor", "sourceAnchor"),
            "sourceAnchor",
            "Expression",
            "IIF(IsPresent([cloudSourceAnchor]),IIF([cloudSourceAnchor] = [sourceAnchor],[sourceAnchor],"
            'Error("SourceAnchor attribute has changed.")),[sourceAnchor])',
        ),
        AttributeFlowMapping(("securityEnabled",), "securityEnabled", "Direct", None),
    )


def _identifier(row_id: str, tag: str, generation: int) -> str:
    # Generation 0 keeps the export's identifiers; an upgrade installs new rule objects.
    if generation == 0 and row_id:
        return row_id
    import uuid  # noqa: PLC0415 - only when a simulated server is made or upgraded

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"adsync-standard-rule:{tag}:{generation}"))


def standard_rules(version: str, generation: int = 0) -> tuple[SyncRule, ...]:
    """The standard rules of a build; `generation` counts the upgrades that installed them."""
    rows = list(ROWS)
    writeup = builds.lookup("group_writeup_member_limit_rule", version)
    if writeup:
        rows = [(p + 1 if p >= WRITEUP_PRECEDENCE else p, *rest) for p, *rest in rows]  # type: ignore[misc]
        rows.append(WRITEUP_MEMBER_LIMIT)
    limit = builds.standard_member_limit(version)
    rules = []
    for precedence, row_id, name, direction, tag, source, target, link, connector in rows:
        is_group_join = tag.startswith(facts.GROUP_JOIN_IMMUTABLE_TAG_PREFIX)
        flows = _group_join_flows(limit) if is_group_join else ()
        if tag.startswith(limitrules.GROUP_WRITEUP.tag_prefix):
            flows = (
                AttributeFlowMapping(("member",), "member", "Expression", expressions.writeup_member_expression(limit)),
            )
        rules.append(
            SyncRule(
                identifier=_identifier(row_id, tag, generation),
                name=name,
                version=1 + generation,
                direction=direction,
                precedence=precedence,
                disabled=False,
                immutable_tag=tag,
                is_standard_rule=True,
                connector=connector,
                source_object_type=source,
                target_object_type=target,
                link_type=link,
                scope_filter=_group_join_scope(limit) if is_group_join else (),
                join_filter=(JoinConditionGroup((JoinCondition("sourceAnchor", "sourceAnchor", False),)),)
                if is_group_join
                else (),
                attribute_flow_mappings=flows,
            )
        )
    return tuple(rules)
