"""One usage record per model call, whatever feature made it: what it cost and how long it took."""

from django.db import models

from accounts.models import Account


class ModelCall(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="model_calls")
    action = models.CharField(max_length=64, help_text="The feature that called the model (resolution_note, …).")
    model = models.CharField(max_length=100)
    ok = models.BooleanField(help_text="False: the call failed (the reason is in `error`).")
    error = models.CharField(max_length=300, blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0, help_text="Everything generated, thinking included.")
    thinking_tokens = models.PositiveIntegerField(
        default=0, help_text="Of the output tokens, those spent thinking, as the API reports them (0 if it does not)."
    )
    cache_creation_input_tokens = models.PositiveIntegerField(default=0)
    cache_read_input_tokens = models.PositiveIntegerField(default=0)
    stop_reason = models.CharField(
        max_length=40, blank=True, default="", help_text="Why the answer ended: end_turn, max_tokens (cut off), …"
    )
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.action} on {self.model} ({self.latency_ms} ms)"
