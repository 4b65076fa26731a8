from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: health, metrics, request ids"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from ops.request_id import forget

        request_finished.connect(forget, dispatch_uid="ops.request_id.forget")
