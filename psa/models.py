"""One PSA connection per account. The private key is stored encrypted and never shown back."""

from django.db import models

from accounts.models import Account
from psa import crypto
from psa.providers.base import ConnectionSettings

DEFAULT_CODEBASE = "v4_6_release/"


class PsaConnection(models.Model):
    class Provider(models.TextChoices):
        CONNECTWISE = "connectwise", "ConnectWise Manage"

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="psa_connection")
    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.CONNECTWISE)
    site_url = models.CharField(max_length=255, help_text="The API origin, e.g. https://api-na.myconnectwise.net")
    company_id = models.CharField(max_length=100)
    public_key = models.CharField(max_length=200)
    private_key_encrypted = models.TextField(editable=False)
    client_id = models.CharField(max_length=100, help_text="The clientId of your ConnectWise developer integration.")
    codebase = models.CharField(max_length=100, default=DEFAULT_CODEBASE)
    board_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The service board whose statuses the settings offer."
    )
    notify_customer = models.BooleanField(
        default=False, help_text="Let ConnectWise e-mail the customer about posted resolution notes."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PSA connection"

    def __str__(self):
        return f"{self.get_provider_display()} for {self.account}"

    def __repr__(self) -> str:
        return f"<PsaConnection {self.pk} {self.provider} {self.site_url}>"

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_encrypted)

    def set_private_key(self, private_key: str) -> None:
        self.private_key_encrypted = crypto.encrypt(private_key)

    def connection_settings(self) -> ConnectionSettings:
        """The decrypted settings a provider needs; never log them."""
        return ConnectionSettings(
            site_url=self.site_url,
            company_id=self.company_id,
            public_key=self.public_key,
            private_key=crypto.decrypt(self.private_key_encrypted),
            client_id=self.client_id,
            codebase=self.codebase,
        )
