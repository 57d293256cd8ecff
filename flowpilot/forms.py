from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's form templates through the project's engine, with one field wrapper of our own
    (`templates/forms/field.html`: label, input, help and errors in one block)."""

    field_template_name = "forms/field.html"
