from django.utils.translation import gettext_lazy as _

from apps.codes.plugin_api import CodeTypeAppConfig, scan_action_register


class MedicalConfig(CodeTypeAppConfig):
    """The hospitals' medical code (医疗码): book a place, check in by code, pay — through the plugin API."""

    name = "apps.medical"
    label = "medical"
    verbose_name = _("Medical registration and payment")
    default_auto_field = "django.db.models.BigAutoField"
    code_types = ["apps.medical.code_type.MedicalCodeType"]

    def ready(self) -> None:
        super().ready()
        from .code_type import REGISTRATION
        from .scan import check_in_on_scan

        scan_action_register(purpose=REGISTRATION, action=check_in_on_scan, app_name=self.name)
        # Paying at the cashier by code (the money side).
        from .billing.scan import PAYMENT, pay_on_scan

        scan_action_register(purpose=PAYMENT, action=pay_on_scan, app_name=self.name)
