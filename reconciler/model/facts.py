"""Facts of the product that do not depend on the server's version, each with its source.

Version-dependent behaviour lives in `reconciler.model.builds`; this module is what stays true on
every build. Sources (docs/domain.md): Microsoft's "Azure AD Connect sync V2 endpoint API" page
(2020 and 2023 revisions, "V2 page" below) and the real 1.1.130.0 export in shared/fixtures.
"""

from __future__ import annotations

# V2 page, "Group membership limits": V1 syncs at most 50,000 members per group.
V1_MEMBER_LIMIT = 50_000
# V2 page: V2 syncs groups of up to 250,000 members.
V2_MEMBER_LIMIT = 250_000
# V2 page: 15,000 members where the tenant has no verified DNS domain.
UNVERIFIED_DOMAIN_MEMBER_LIMIT = 15_000
# Scheduler page (how-to-connect-sync-feature-scheduler): a sync cycle every 30 minutes by default;
# Get-ADSyncScheduler's CurrentlyEffectiveSyncCycleInterval is a TimeSpan, e.g. 00:30:00.
DEFAULT_SYNC_CYCLE_INTERVAL_SECONDS = 30 * 60

# V2 page, 2020-2023 revisions, "Prerequisites": the custom rule's precedence is in 1-99 (lower number wins).
CUSTOM_PRECEDENCE_MIN = 1
CUSTOM_PRECEDENCE_MAX = 99

# V2 page: available in Azure Commercial, US Government and 21Vianet; not in Azure Germany.
CLOUDS = ("AzureCommercial", "AzureUSGovernment", "AzureChina21Vianet", "AzureGermany")
CLOUDS_WITHOUT_V2 = frozenset({"AzureGermany"})

# Real export (Connectors/Connector_{B891884F-...}.xml): the Azure AD connector's fixed identifier.
AAD_CONNECTOR_ID = "b891884f-051e-4a83-95af-2544101c9083"

# Real export: the standard rule that carries the limit. Documentation prose writes an en dash.
GROUP_JOIN_RULE_NAME = "Out to AAD - Group Join"
GROUP_JOIN_RULE_NAME_PROSE = "Out to AAD \u2013 Group Join"
GROUP_JOIN_IMMUTABLE_TAG_PREFIX = "Microsoft.OuttoAADGroupJoin."

# docs/state-file.md: the default name of the clone the reconciler manages.
DEFAULT_MANAGED_RULE_NAME = "Out to AAD - Group Join (member limit)"

# The AAD connector's export-type: set by Set-ADSyncAADConnectorExportApiVersion
# (AADConnector.psm1): 2 for the V1 endpoint, 5 for V2.
EXPORT_TYPE_FOR_API_VERSION = {1: 2, 2: 5}
# The third place the export version lives (AADConnector.psm1 as shipped in 2.2.8.0): the value
# below under ...\ADSync\Parameters\PerMAInstance\<AAD connector name>, 0 for V1 and 1 for V2;
# absent, it reads as V2 (docs/domain.md#where-the-api-versions-live).
EXPORT_FILTERING_VALUE = "EnableNonExistentObjectReferenceExportFiltering"
EXPORT_FILTERING_FOR_API_VERSION = {1: 0, 2: 1}
# Get-ADSyncAADConnectorExportApiVersion's words when the three places disagree.
EXPORT_VERSION_MISMATCH = "Version mismatch in Registry and AAD Connector"


def is_group_join_name(name: str) -> bool:
    """True for the standard rule's name in either spelling (ASCII hyphen or en dash)."""
    return name.replace("\u2013", "-").strip() == GROUP_JOIN_RULE_NAME


# Microsoft's national cloud deployments: the sign-in authority of each cloud, as the AAD
# connector's configuration names it (`adal-authority` in an export).
AUTHORITY_HOST_CLOUDS = {
    "login.windows.net": "AzureCommercial",
    "login.microsoftonline.com": "AzureCommercial",
    "login.microsoftonline.us": "AzureUSGovernment",
    "login.chinacloudapi.cn": "AzureChina21Vianet",
    "login.partner.microsoftonline.cn": "AzureChina21Vianet",
    "login.microsoftonline.de": "AzureGermany",
}

# Get-ADSyncServerConfiguration export: the global parameter that holds the product version.
VERSION_PARAMETER = "Microsoft.Synchronize.ServerConfigurationVersion"
STAGING_PARAMETER = "Microsoft.Synchronize.StagingMode"

# The ADSync object model's enums, as build 2.2.8.0 ships them (ObjectModel.dll metadata, in the
# cmdlet surface fixture): schemas/observed-state.schema.json accepts exactly these values.
OBJECT_MODEL_ENUMS: dict[str, tuple[str, ...]] = {
    "SyncRuleLinkType": ("Provision", "StickyJoin", "Join", "JoinNoFlow"),
    "AttributeValueMergeType": ("Update", "Replace", "MergeCaseInsensitive", "Merge"),
    "AttributeMappingFlowType": ("Direct", "Constant", "Expression"),
    "ComparisonOperator": (
        "EQUAL", "NOTEQUAL", "LESSTHAN", "LESSTHAN_OR_EQUAL", "CONTAINS", "NOTCONTAINS", "STARTSWITH",
        "NOTSTARTSWITH", "ENDSWITH", "NOTENDSWITH", "GREATERTHAN", "GREATERTHAN_OR_EQUAL", "ISNULL", "ISNOTNULL",
        "ISIN", "ISNOTIN", "ISBITSET", "ISBITNOTSET", "ISMEMBEROF", "ISNOTMEMBEROF",
    ),
    "SynchronizationPolicyType": ("Unspecified", "Delta", "Initial"),
    "SynchronizationRuleDirection": ("Inbound", "Outbound"),
}  # fmt: skip
