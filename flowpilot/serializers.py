from rest_framework import serializers


class StrictInputMixin:
    """Refuse keys the serializer cannot write, so a typo or a read-only field is a 400, not a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown or read-only field."] for key in unknown})
        return super().to_internal_value(data)
