"""What each PSA's connection holds, in one table: its fields (which are secret, which are URLs, what they
default to), its provider class and how to build it. The model, the services, the REST serializer and the
Django admin form all read this table, so adding a PSA is one row here and one module in `psa.providers`.

ConnectWise came first and keeps its fields in columns of their own (existing rows stay as they are); every
other PSA keeps its non-secret fields in `PsaConnection.options` and its secrets, encrypted together, in
`PsaConnection.secrets_encrypted`. A provider's field names are its settings dataclass's, so
`settings_class(**fields)` builds what the provider takes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache

from flowpilot.errors import InvalidInput
from psa.providers._http import TimeoutSpec
from psa.providers.autotask import ZONE_LOOKUP_URL as AUTOTASK_ZONE_LOOKUP_URL
from psa.providers.autotask import AutotaskProvider, AutotaskSettings
from psa.providers.base import ConnectionSettings, PsaProvider
from psa.providers.connectwise import CODEBASE_PATTERN, ConnectWiseProvider
from psa.providers.halopsa import HaloProvider, HaloSettings
from psa.site_url import check_before_connecting, normalise_url

CONNECTWISE, AUTOTASK, HALOPSA = "connectwise", "autotask", "halopsa"
DEFAULT_CODEBASE = "v4_6_release/"
SaveChanges = Callable[[dict], None]  # keeps what a provider learned (a moved codebase, a zone) on the connection


@dataclass(frozen=True)
class Field:
    """One field of a provider's connection. `url`: "origin" (scheme and host only) or "root" (an API root,
    a path allowed); URLs are normalised and pass the same SSRF checks as ConnectWise's site URL. `header`: the
    value is sent as an HTTP header, which carries printable ASCII only (http.client encodes it as Latin-1)."""

    name: str
    label: str  # as a sentence names it ("site URL"); `title` is the form's label
    help_text: str = ""
    required: bool = True
    secret: bool = False  # write-only: stored encrypted, never returned, kept when left out
    url: str = ""
    example: str = ""  # an example value, for a URL's error message
    default: str = ""
    max_length: int = 255
    clean_value: Callable[[str], str] | None = None  # raises InvalidInput(field=name) on a bad value
    header: bool = False

    def clean(self, value: str) -> str:
        """The value as stored; "" for an optional field left empty (its default then applies)."""
        value = value if self.secret else value.strip()
        if not value:
            if self.required:
                raise InvalidInput(self.required_message, field=self.name)
            return self.default
        if self.header:
            self.check_header_safe(value)
        if self.url:
            value = normalise_url(
                value, field=self.name, label=self.label, example=self.example, path=self.url == "root"
            )
        return self.clean_value(value) if self.clean_value else value

    def check_header_safe(self, value: str) -> None:
        unsendable = next((char for char in value if not " " <= char <= "~"), None)
        if unsendable is None and not value[:1].isspace():
            return
        # A secret's characters are never shown, not even the one that is wrong.
        which = "" if self.secret or unsendable is None else f" (“{unsendable}”)"
        problem = f"a character{which} an HTTP header cannot carry" if unsendable else "a space at its start"
        raise InvalidInput(
            f"The {self.label} holds {problem}; type it again in plain characters (a pasted curly quote is a "
            "common cause).",
            field=self.name,
        )

    @property
    def required_message(self) -> str:
        article = "An" if self.label[0].lower() in "aeiou" else "A"
        return f"{article} {self.label} is required."

    @property
    def title(self) -> str:
        """The label as a form shows it ("site URL")."""
        return self.label[0].upper() + self.label[1:]


@dataclass(frozen=True)
class ProviderSpec:
    key: str  # PsaConnection.provider
    label: str  # as the admin's choice names it
    provider_class: type[PsaProvider]
    settings_class: type
    fields: tuple[Field, ...]
    build: Callable[..., PsaProvider]  # (settings, *, timeout, save_changes) -> the provider
    columns: bool = False  # its fields are PsaConnection columns (ConnectWise, from before this table)
    uses_board: bool = False  # the board_id picks whose statuses the settings offer; else one status list
    notifies_customer: bool = True  # notify_customer means something to it

    @property
    def secret_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if field.secret)

    @property
    def plain_fields(self) -> tuple[Field, ...]:
        return tuple(field for field in self.fields if not field.secret)

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    def check_urls(self, values: dict[str, str]) -> None:
        """Before a provider is built: each saved URL is still allowed (the opt-in may be off now, DNS changed)."""
        for field in self.plain_fields:
            if field.url and values.get(field.name):
                check_before_connecting(values[field.name], field=field.name, label=field.label)


def _clean_codebase(codebase: str) -> str:
    if not CODEBASE_PATTERN.fullmatch(codebase):
        raise InvalidInput("A codebase looks like v4_6_release/.", field="codebase")
    return codebase if codebase.endswith("/") else f"{codebase}/"


def _clean_resource_id(value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise InvalidInput(
            "The impersonation resource id is a number (an Autotask resource id).", field="impersonation_resource_id"
        )
    return value


def _connectwise(connection_settings, *, timeout: TimeoutSpec, save_changes: SaveChanges) -> PsaProvider:
    return ConnectWiseProvider(
        connection_settings,
        timeout=timeout,
        api_version=settings.FLOWPILOT_CW_API_VERSION,
        on_codebase_moved=lambda codebase: save_changes({"codebase": codebase}),
    )


def _autotask(connection_settings, *, timeout: TimeoutSpec, save_changes: SaveChanges) -> PsaProvider:
    # The picklists are shared through the cache for a few minutes: each call's new provider reads them once.
    return AutotaskProvider(
        connection_settings, timeout=timeout, on_settings_changed=save_changes, picklist_cache=cache
    )


def _halopsa(connection_settings, *, timeout: TimeoutSpec, save_changes: SaveChanges) -> PsaProvider:
    # The token is shared through the cache: one token request per expiry, however many workers post.
    return HaloProvider(connection_settings, timeout=timeout, token_cache=cache)


_secret = partial(Field, secret=True, max_length=500)

PROVIDERS: dict[str, ProviderSpec] = {
    spec.key: spec
    for spec in (
        ProviderSpec(
            key=CONNECTWISE,
            label="ConnectWise Manage",
            provider_class=ConnectWiseProvider,
            settings_class=ConnectionSettings,
            columns=True,
            uses_board=True,
            build=_connectwise,
            fields=(
                Field(
                    "site_url",
                    "site URL",
                    "The API origin, e.g. https://api-na.myconnectwise.net",
                    url="origin",
                    example="https://api-na.myconnectwise.net",
                ),
                Field("company_id", "company id", max_length=100),
                Field("public_key", "public key", max_length=200),
                _secret("private_key", "private key"),
                Field(
                    "client_id",
                    "client id",
                    "The clientId of your ConnectWise developer integration.",
                    max_length=100,
                    header=True,
                ),
                Field(
                    "codebase",
                    "codebase",
                    "Where the company's API lives; “Discover codebase” fills it in.",
                    required=False,
                    default=DEFAULT_CODEBASE,
                    max_length=100,
                    clean_value=_clean_codebase,
                ),
            ),
        ),
        ProviderSpec(
            key=AUTOTASK,
            label="Autotask",
            provider_class=AutotaskProvider,
            settings_class=AutotaskSettings,
            build=_autotask,
            notifies_customer=False,  # Autotask's own workflow rules decide who is notified of a note
            fields=(
                # The three credentials travel in headers (UserName, Secret, ApiIntegrationCode).
                Field(
                    "username",
                    "username",
                    "The API user's username (an API-only user, e.g. api@acme.com).",
                    header=True,
                ),
                _secret("secret", "secret", "The API user's secret.", header=True),
                _secret(
                    "integration_code",
                    "integration code",
                    "The API tracking identifier of the integration.",
                    header=True,
                ),
                Field(
                    "api_url",
                    "API URL",
                    "The zone's REST root, e.g. https://webservices5.autotask.net/ATServicesRest. "
                    "Leave empty: it is discovered from the username, and found again when the database moves.",
                    required=False,
                    url="root",
                    example="https://webservices5.autotask.net/ATServicesRest",
                ),
                Field(
                    "impersonation_resource_id",
                    "impersonation resource id",
                    "Optional: the resource notes are entered as.",
                    required=False,
                    max_length=10,
                    clean_value=_clean_resource_id,
                    header=True,
                ),
                Field(
                    "zone_lookup_url",
                    "zone lookup URL",
                    f"Where the zone is looked up; {AUTOTASK_ZONE_LOOKUP_URL} unless told otherwise.",
                    required=False,
                    url="root",
                    example=AUTOTASK_ZONE_LOOKUP_URL,
                    default=AUTOTASK_ZONE_LOOKUP_URL,
                ),
            ),
        ),
        ProviderSpec(
            key=HALOPSA,
            label="HaloPSA",
            provider_class=HaloProvider,
            settings_class=HaloSettings,
            build=_halopsa,
            fields=(
                Field(
                    "site_url",
                    "site URL",
                    "The resource server, e.g. https://acme.halopsa.com (the API is under /api).",
                    url="origin",
                    example="https://acme.halopsa.com",
                ),
                Field(
                    "auth_url",
                    "authorisation URL",
                    "Leave empty for {site URL}/auth.",
                    required=False,
                    url="root",
                    example="https://acme.halopsa.com/auth",
                ),
                Field("client_id", "client id", "The client id of the API application (client credentials)."),
                _secret("client_secret", "client secret"),
                Field("tenant", "tenant", "Hosted instances only: the tenant name.", required=False, max_length=100),
            ),
        ),
    )
}


def provider_choices() -> list[tuple[str, str]]:
    return [(spec.key, spec.label) for spec in PROVIDERS.values()]
