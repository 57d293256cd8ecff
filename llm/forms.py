"""The form field an admin picks an action's model with: the deployment default, or a model the SDK knows."""

from django import forms

from llm.actions import default_model, known_models


def model_field(action: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=f"Model for the {action.replace('_', ' ')}",
        required=False,
        choices=[("", f"Deployment default ({default_model(action)})"), *((m, m) for m in known_models())],
    )
