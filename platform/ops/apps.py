from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: health, metrics, request ids"

    def ready(self) -> None:
        from celery import signals
        from django.core.signals import request_finished

        from ops import request_id

        request_finished.connect(request_id.forget, dispatch_uid="ops.request_id.forget")
        signals.before_task_publish.connect(request_id.attach_to_task, dispatch_uid="ops.request_id.attach")
        signals.task_prerun.connect(request_id.adopt_in_task, dispatch_uid="ops.request_id.adopt")
        signals.task_postrun.connect(request_id.release_after_task, dispatch_uid="ops.request_id.release")
