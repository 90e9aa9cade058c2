from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TalentCertification(models.Model):
    """The talent office's certification of a citizen at a level; a citizen has at most one in force."""

    class Level(models.TextChoices):
        A = "A", _("Level A (leading talent)")
        B = "B", _("Level B (national talent)")
        C = "C", _("Level C (provincial talent)")
        D = "D", _("Level D (city talent)")

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talent_certifications"
    )
    level = models.CharField(_("level"), max_length=1, choices=Level.choices)
    issued_by = models.CharField(_("issued by"), max_length=200)
    valid_until = models.DateField(_("valid until"))
    revoked = models.BooleanField(_("revoked"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("talent certification")
        verbose_name_plural = _("talent certifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen"], condition=models.Q(revoked=False), name="talent_one_in_force_per_citizen",
                violation_error_code="certification_in_force",
                violation_error_message=_("This citizen already has a certification in force; revoke it first."),
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=["A", "B", "C", "D"]), name="talent_level_known",
                violation_error_code="unknown_level",
                violation_error_message=_("The level must be A, B, C or D."),
            ),
        ]

    def __str__(self) -> str:
        return f"talent {self.level} of {self.citizen_id}"
