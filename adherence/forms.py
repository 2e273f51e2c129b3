"""Project-wide form rendering."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's renderer with our templates: a field group per field, errors linked by id."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
