"""One PSA connection per account, with its provider's own fields (`psa.specs`). Secrets are stored encrypted
and never shown back: ConnectWise's private key in its own column, every other provider's secrets together,
as encrypted JSON, in `secrets_encrypted`."""

import json

from django.db import models

from accounts.models import Account
from psa import crypto
from psa.specs import CONNECTWISE, DEFAULT_CODEBASE, PROVIDERS, ProviderSpec, provider_choices

__all__ = ["DEFAULT_CODEBASE", "PsaConnection"]

CONNECTWISE_COLUMNS = {
    "site_url": "",
    "company_id": "",
    "public_key": "",
    "client_id": "",
    "codebase": DEFAULT_CODEBASE,
}


class PsaConnection(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="psa_connection")
    provider = models.CharField(max_length=32, choices=provider_choices(), default=CONNECTWISE)
    # ConnectWise's fields (empty for another provider)
    site_url = models.CharField(
        max_length=255, blank=True, help_text="The API origin, e.g. https://api-na.myconnectwise.net"
    )
    company_id = models.CharField(max_length=100, blank=True)
    public_key = models.CharField(max_length=200, blank=True)
    private_key_encrypted = models.TextField(editable=False, blank=True)
    client_id = models.CharField(
        max_length=100, blank=True, help_text="The clientId of your ConnectWise developer integration."
    )
    codebase = models.CharField(max_length=100, default=DEFAULT_CODEBASE)
    # Every other provider's fields: the non-secret ones here, the secrets encrypted together
    options = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(editable=False, blank=True, default="")
    board_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The service board whose statuses the settings offer."
    )
    notify_customer = models.BooleanField(
        default=False, help_text="Let the PSA e-mail the customer about posted resolution notes."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PSA connection"

    def __str__(self):
        return f"{self.get_provider_display()} for {self.account}"

    def __repr__(self) -> str:
        return f"<PsaConnection {self.pk} {self.provider} {self.address}>"

    @property
    def spec(self) -> ProviderSpec:
        return PROVIDERS[self.provider]

    @property
    def address(self) -> str:
        """Where the PSA is, in one line: its first URL set."""
        values = self.field_values()
        return next((values[field.name] for field in self.spec.plain_fields if field.url and values[field.name]), "")

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_encrypted)

    def field_values(self) -> dict[str, str]:
        """The provider's non-secret fields as stored."""
        if self.spec.columns:
            return {field.name: getattr(self, field.name) for field in self.spec.plain_fields}
        return {field.name: self.options.get(field.name, field.default) for field in self.spec.plain_fields}

    def has_secret(self, name: str) -> bool:
        if self.spec.columns:
            return bool(getattr(self, f"{name}_encrypted"))
        return name in self.stored_secret_names()

    def stored_secret_names(self) -> set[str]:
        """The secrets stored and readable (one encrypted with another key must be entered again)."""
        try:
            return set(self.stored_secrets())
        except crypto.SecretUnreadable:
            return set()

    def stored_secrets(self) -> dict[str, str]:
        return self._secrets()

    def _secrets(self) -> dict[str, str]:
        """The decrypted secrets; never log them. Raises crypto.SecretUnreadable."""
        if self.spec.columns:
            stored = {field.name: getattr(self, f"{field.name}_encrypted") for field in self.spec.secret_fields}
            return {name: crypto.decrypt(token) for name, token in stored.items() if token}
        if not self.secrets_encrypted:
            return {}
        try:
            return json.loads(crypto.decrypt(self.secrets_encrypted))
        except crypto.SecretUnreadable:
            raise crypto.SecretUnreadable(
                f"The stored {self.spec.label} secrets cannot be decrypted with this FLOWPILOT_ENCRYPTION_KEY; "
                "enter them again."
            ) from None

    def set_fields(self, spec: ProviderSpec, values: dict[str, str], secrets: dict[str, str]) -> None:
        """Make this a connection to `spec`'s PSA with these fields. `secrets` holds the secrets given: they
        replace the stored ones of the same name, and the others are kept, unless the provider changes (then
        nothing of the other provider's is kept)."""
        kept = {}
        if spec.key == self.provider and not spec.columns:
            try:
                kept = self.stored_secrets()
            except crypto.SecretUnreadable:
                kept = {}
        self.provider = spec.key
        if spec.columns:
            for name, value in values.items():
                setattr(self, name, value)
            for name, value in secrets.items():
                setattr(self, f"{name}_encrypted", crypto.encrypt(value))
            self.options, self.secrets_encrypted = {}, ""
            return
        for name, empty in CONNECTWISE_COLUMNS.items():
            setattr(self, name, empty)
        self.private_key_encrypted = ""
        self.options = dict(values)
        merged = {**kept, **secrets}
        self.secrets_encrypted = crypto.encrypt(json.dumps(merged)) if merged else ""

    def set_private_key(self, private_key: str) -> None:
        self.private_key_encrypted = crypto.encrypt(private_key)

    def connection_settings(self):
        """The decrypted settings its provider takes (ConnectionSettings, AutotaskSettings, HaloSettings);
        never log them. Raises crypto.SecretUnreadable."""
        return self.spec.settings_class(**self.field_values(), **self._secrets())
